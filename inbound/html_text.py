"""Readable plain text of mail HTML: the one HTML-to-text conversion, for parsing and for reply cleaning.

Blocks and ``<br>`` end lines, paragraphs leave a blank line (Outlook's one-line ``p.MsoNormal`` only
ends its line), white space collapses across tags as a browser does it, list items get "- " (indented
when nested), a link shows its target when its text does not already hold it, and blockquotes are
prefixed with "> " unless the caller has already taken the quotes out (reply cleaning keeps only the
blockquotes that are the sender's own: Gmail's indent, a forwarded message).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "main",
        "nav",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
    }
)
_PARAGRAPH_TAGS = frozenset({"p", "pre"})
_HIDDEN_TAGS = frozenset({"head", "script", "style", "title", "noscript", "template"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


class _TextCollector(HTMLParser):
    """Walks HTML and writes the text a reader would see, one buffer per open blockquote."""

    def __init__(self, quote_marks: bool) -> None:
        super().__init__(convert_charrefs=True)
        self._quote_marks = quote_marks
        self._buffers: list[list[str]] = [[]]
        self._buffer_has_text: list[bool] = [False]
        self._hidden = 0
        self._pre = 0
        self._list_depth = 0
        self._paragraphs: list[int] = []  # newlines that end each open <p>: 1 for Outlook's one-line <p>
        self._links: list[tuple[str, int]] = []

    @property
    def _out(self) -> list[str]:
        return self._buffers[-1]

    def _tail(self) -> str:
        return "".join(self._out[-3:])

    def _ensure_newlines(self, count: int) -> None:
        if not self._buffer_has_text[-1]:
            return
        tail = self._tail()
        missing = count - (len(tail) - len(tail.rstrip("\n")))
        if missing > 0:
            self._out.append("\n" * missing)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag == "br":
            self._out.append("\n")
        elif tag == "li":
            self._ensure_newlines(1)
            self._out.append("  " * max(self._list_depth - 1, 0) + "- ")
        elif tag in ("ul", "ol"):
            self._list_depth += 1
            self._ensure_newlines(1)
        elif tag == "blockquote":
            self._open_quote()
        elif tag in _PARAGRAPH_TAGS:
            self._pre += tag == "pre"
            self._paragraphs.append(1 if tag == "p" and _is_outlook_line(attrs) else 2)
            self._ensure_newlines(self._paragraphs[-1])
        elif tag in _BLOCK_TAGS:
            self._ensure_newlines(1)
        elif tag in ("td", "th") and self._tail() and not self._tail().endswith(("\n", " ")):
            self._out.append(" ")
        elif tag == "a":
            self._links.append((dict(attrs).get("href") or "", len(self._out)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(self._hidden - 1, 0)
        elif tag in ("ul", "ol"):
            self._list_depth = max(self._list_depth - 1, 0)
            self._ensure_newlines(1)
        elif tag == "blockquote":
            self._close_quote()
        elif tag in _PARAGRAPH_TAGS:
            self._pre = max(self._pre - (tag == "pre"), 0)
            self._ensure_newlines(self._paragraphs.pop() if self._paragraphs else 2)
        elif tag in _BLOCK_TAGS or tag == "li":
            self._ensure_newlines(1)
        elif tag == "a" and self._links:
            self._close_link()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._out.append("\n")
        elif tag in _BLOCK_TAGS:
            self._ensure_newlines(1)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not self._pre:
            data = _SPACES.sub(" ", data)
            if not self._out or self._tail().endswith(("\n", " ")):  # spaces collapse across tags too
                data = data.lstrip(" ")
        if data:
            self._out.append(data)
            self._buffer_has_text[-1] = self._buffer_has_text[-1] or not data.isspace()

    def _close_link(self) -> None:
        href, start = self._links.pop()
        text = "".join(self._out[start:]).strip()
        target = href[len("mailto:") :] if href.lower().startswith("mailto:") else href
        shown = href.lower().startswith(("http:", "https:", "mailto:"))
        if shown and target not in text and href != text:
            self._out.append(f" [{target}]")

    def _open_quote(self) -> None:
        self._ensure_newlines(1)
        if self._quote_marks:
            self._buffers.append([])
            self._buffer_has_text.append(False)

    def _close_quote(self) -> None:
        if len(self._buffers) == 1:
            self._ensure_newlines(1)
            return
        quoted = _tidy("".join(self._buffers.pop()))
        self._buffer_has_text.pop()
        self._ensure_newlines(1)
        if quoted:
            self._out.append("\n".join(f"> {line}".rstrip() for line in quoted.split("\n")) + "\n")
            self._buffer_has_text[-1] = True

    def text(self) -> str:
        while len(self._buffers) > 1:
            self._close_quote()
        return _tidy("".join(self._out))


def _is_outlook_line(attrs: list[tuple[str, str | None]]) -> bool:
    classes = next((value or "" for name, value in attrs if name == "class"), "")
    return "msonormal" in classes.lower()


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\xa0", " ").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def html_to_text(html: str, *, quote_marks: bool = True) -> str:
    """Plain text of an HTML body; ``quote_marks=False`` leaves blockquote text unprefixed."""
    collector = _TextCollector(quote_marks)
    collector.feed(html)
    collector.close()
    return collector.text()
