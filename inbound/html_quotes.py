"""Quote and signature containers in reply HTML: blockquotes, Gmail, Thunderbird, Mail.ru and Outlook.

``strip_html`` re-emits the HTML without them and keeps what it removed apart, so the caller can report
it; a container that holds a forwarded message is kept. See docs/reply-cleaning.md, "HTML rules".
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from inbound.forwards import FORWARD_MARKER
from inbound.html_text import html_to_text

_VOID_TAGS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
_QUOTE_CLASSES = frozenset({"gmail_attr", "moz-cite-prefix", "mail-quote-collapse"})
# Gmail's div.gmail_quote also holds answers written between the quotes: only its parts go.
_QUOTE_TAG_CLASSES = frozenset({"gmail_quote"})
_SIGNATURE_CLASSES = frozenset({"gmail_signature", "moz-signature"})
_SIGNATURE_IDS = frozenset({"signature", "applemailsignature"})
# Outlook puts the original after these markers as siblings, so the rest of the parent goes.
_CUT_IDS = frozenset({"appendonsend", "divrplyfwdmsg", "stopspelling"})  # the last: Outlook.com's <hr>
_QUOTE_IDS = frozenset({"mail-editor-reference-message-container"})
_ELEMENT, _REST_OF_PARENT = "element", "rest"


@dataclass(frozen=True)
class _Removal:
    kind: str  # "quote" or "signature"
    scope: str  # _ELEMENT or _REST_OF_PARENT


def _classify(tag: str, attrs: list[tuple[str, str | None]]) -> _Removal | None:
    values = {name: (value or "") for name, value in attrs}
    classes = set(values.get("class", "").lower().split())
    element_id = values.get("id", "").lower()
    if element_id in _CUT_IDS:
        return _Removal("quote", _REST_OF_PARENT)
    if classes & _SIGNATURE_CLASSES or element_id in _SIGNATURE_IDS:
        return _Removal("signature", _ELEMENT)
    if classes & _QUOTE_CLASSES or element_id in _QUOTE_IDS:
        return _Removal("quote", _ELEMENT)
    if tag == "blockquote" and (classes & _QUOTE_TAG_CLASSES or not _is_indent_only(values.get("style", ""))):
        return _Removal("quote", _ELEMENT)
    return None


def _is_indent_only(style: str) -> bool:
    """Gmail's "indent" button makes a borderless blockquote: the sender's own text, not a quote."""
    return "border:none" in style.replace(" ", "").lower()


class QuoteStripper(HTMLParser):
    """Re-emits the HTML it reads, minus quote and signature containers (collected apart)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.kept: list[str] = []
        self.quoted: list[str] = []
        self.signatures: list[str] = []
        self._stack: list[str] = []
        self._sink: list[str] | None = None
        self._removal: _Removal | None = None
        self._resume_below = 0
        self._recent_text = ""

    def _out(self, chunk: str) -> None:
        (self._sink if self._sink is not None else self.kept).append(chunk)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or f"<{tag}>"
        removal = None if self._sink is not None else _classify(tag, attrs)
        if removal is not None:
            depth = len(self._stack)
            self._resume_below = depth + 1 if removal.scope == _ELEMENT else depth
            self._removal, self._sink = removal, []
        self._out(raw)
        if tag not in _VOID_TAGS:
            self._stack.append(tag)
        elif removal is not None and removal.scope == _ELEMENT:
            self._finish_removal()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        removal = None if self._sink is not None else _classify(tag, attrs)
        raw = self.get_starttag_text() or f"<{tag}/>"
        if removal is not None and removal.scope == _ELEMENT:
            return
        if removal is not None:
            self._resume_below = len(self._stack)
            self._removal, self._sink = removal, [raw]
            return
        self._out(raw)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self._stack:
            self._out(f"</{tag}>")
            return
        while self._stack and self._stack.pop() != tag:
            pass
        closing = f"</{tag}>"
        if self._sink is None or len(self._stack) >= self._resume_below:
            self._out(closing)
            return
        if self._removal is not None and self._removal.scope == _ELEMENT:
            self._out(closing)
            self._finish_removal()
        else:
            self._finish_removal()
            self._out(closing)

    def _finish_removal(self) -> None:
        removed = "".join(self._sink or [])
        removal = self._removal
        self._sink, self._removal = None, None
        if removal is None:
            return
        if removal.kind == "quote" and self._is_forward(removed):
            self.kept.append(removed)
            return
        (self.quoted if removal.kind == "quote" else self.signatures).append(removed)

    def _is_forward(self, removed_html: str) -> bool:
        first_lines = html_to_text(removed_html, quote_marks=False).split("\n")[:2]
        recent = self._recent_text.rstrip().split("\n")[-3:]
        return any(FORWARD_MARKER.match(line) for line in [*first_lines, *recent])

    def handle_data(self, data: str) -> None:
        self._out(data)
        if self._sink is None:
            self._recent_text = (self._recent_text + data)[-400:]

    def handle_entityref(self, name: str) -> None:
        self._out(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._out(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self._out(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self._out(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self._out(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self._out(f"<![{data}]>")

    def finish(self) -> None:
        self.close()
        if self._sink is not None:
            self._finish_removal()


def strip_html(html: str) -> QuoteStripper:
    stripper = QuoteStripper()
    stripper.feed(html)
    stripper.finish()
    return stripper


def clean_html_reply(html: str) -> str:
    """Return the HTML with quote containers (blockquote, gmail_quote, Outlook's reply header) removed."""
    return "".join(strip_html(html).kept)
