"""Reply cleaning: keep only the new text of an email reply for display in the chat.

Quoted history (attribution lines, ``>`` blocks, Outlook header blocks, HTML quote containers) and
signatures (RFC 3676 ``-- `` and the usual mobile footers) are removed, in English and Russian, for
Gmail, Outlook, Apple Mail, Thunderbird, Yandex, Mail.ru and the mobile clients. The full original
is stored elsewhere; these functions are pure and never return an empty text for a non-empty input.

Forwarded messages are not quoted history: the forwarded part is what the sender wants us to read,
so everything from a forward marker on is kept verbatim. See docs/reply-cleaning.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass(frozen=True)
class CleanedReply:
    text: str  # what the chat shows: the new text only, stripped of trailing blank lines
    quoted: str  # what was removed as quoted history ("" when none)
    signature: str  # what was removed as signature ("" when none)


# ---------------------------------------------------------------------------------------------------
# Text rules
# ---------------------------------------------------------------------------------------------------

_QUOTE_LINE = re.compile(r"^>")
# "On <date>, <name> wrote:", "<date>, <name> написал(а):", "<date>, <name> пишет:".
_WROTE = re.compile(
    r"^(?!>).{0,400}?(?<!\w)(wrote|написал\(а\)|написала|написал|пишет)\s*:\s*$", re.IGNORECASE
)
# Zoho and Yahoo frame it in dashes: "---- On <date> <addr> wrote ----".
_DASHED_WROTE = re.compile(
    r"^\s*-{2,}\s*\S.{0,400}?(?<!\w)(wrote|написал\(а\)|написала|написал|пишет)\s*:?\s*-{2,}\s*$",
    re.IGNORECASE,
)
# Some mailers drop the colon: "On <date> <name> <addr> wrote"; then the address must be there.
_WROTE_NO_COLON = re.compile(
    r"^\s*(on\s|\d).{0,400}<[^<>\s@]+@[^<>\s]+>\s*(wrote|написал\(а\)|написала|написал|пишет)\s*$",
    re.IGNORECASE,
)
# "<date>, <name> <addr>:" (Yandex, Gmail ru, Mail.ru "<date> от <name> <addr>:").
_ADDRESS_COLON = re.compile(r"^(?!>).{0,400}\d.{0,400}<[^<>\s@]+@[^<>\s]+>\s*:\s*$")
# How a whole attribution begins: "On …", a date, or a weekday ("Вт, …", "Tuesday, …").
_ATTRIBUTION_HEAD = re.compile(r"^\s*(on\s|\d|\w{2,11},)", re.IGNORECASE)
_HAS_EVIDENCE = re.compile(r"\d|@")
_OUTLOOK_MARKER = re.compile(
    r"^\s*-{2,}\s*(original message|исходное сообщение|оригинальное сообщение)\s*-{2,}\s*$",
    re.IGNORECASE,
)
# The rule above an Outlook header block; "---" is how it comes out of HTML-to-markdown converters.
_SEPARATOR = re.compile(r"^\s*(_{8,}|-{3,})\s*$")
# Header labels may be bold: "*From:*" (Gmail's text of Outlook HTML) or "**From:**" (markdown).
_HEADER_FROM = re.compile(r"^\s*\*{0,2}(from|от)\s*:\*{0,2}\s+\S", re.IGNORECASE)
_HEADER_DATE = re.compile(r"^\s*\*{0,2}(sent|date|отправлено|дата)\s*:\*{0,2}\s+\S", re.IGNORECASE)
_HEADER_OTHER = re.compile(
    r"^\s*\*{0,2}(to|cc|subject|reply-to|кому|копия|тема|ответить)\s*:\*{0,2}(\s|$)", re.IGNORECASE
)
# The sender's address wrapped onto the line after "From: Name".
_ADDRESS_CONTINUATION = re.compile(r"^\s*(mailto:)?[<\[]?[^\s<>@\[\]]+@[^\s<>\[\]]+[>\]]*\s*$")
_HEADER_BLOCK_LINES = 6
_FORWARD_MARKER = re.compile(
    r"^\s*(-{2,}\s*(forwarded message|пересылаемое сообщение|перенаправленное сообщение"
    r"|пересланное сообщение)\s*-{2,}"
    r"|(begin forwarded message|начало переадресованного сообщения|начало пересылаемого сообщения)\s*:)\s*$",
    re.IGNORECASE,
)
# RFC 3676 "-- " (often trimmed to "--"), and a line of em dashes: iOS turns a typed "--" into "—".
_SIG_DELIMITER = re.compile(r"^(--|—+)\s*$")
# Footers that name the device or the mail app; the generic "Sent from …" form only counts as the last line.
_NAMED_FOOTER = re.compile(
    r"^\s*((sent|отправлено)\s+(from|with|с|со|из)\s+.{0,30}"
    r"(iphone|ipad|android|samsung|galaxy|huawei|xiaomi|mail\.ru|яндекс|yandex|outlook|gmail|blackberry)"
    r".{0,30}|(get|download|получите|скачайте) outlook (for|для) (ios|android))"
    r"(\s*<https?://[^\s<>]*>)?\s*$",  # Outlook mobile links its name
    re.IGNORECASE,
)
_GENERIC_FOOTER = re.compile(r"^\s*(sent|отправлено)\s+(from|with|с|со|из)\s+\S.{0,40}$", re.IGNORECASE)
_MAX_LINES_AFTER_DELIMITER = 15
_MAX_LINES_AFTER_FOOTER = 2
_MAX_JOINED_ATTRIBUTION = 400


def clean_text_reply(text: str) -> CleanedReply:
    """Remove quoted history and the signature from a plain-text reply."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    forward_at = _first_forward(lines)
    cut_at, attributions = _history_start(lines[:forward_at])
    head = lines[:cut_at]
    quoted = lines[cut_at:forward_at] if cut_at < forward_at else []
    kept, removed_quotes = _drop_quote_blocks(head, attributions)
    kept, signature = _split_signature(kept)
    body = _strip_blank_edges(kept + lines[forward_at:])
    if not body:
        return CleanedReply(text=text.strip(), quoted="", signature="")
    return CleanedReply(
        text="\n".join(body),
        quoted="\n".join(_strip_blank_edges(removed_quotes + quoted)),
        signature="\n".join(_strip_blank_edges(signature)),
    )


def _first_forward(lines: Sequence[str]) -> int:
    for index, line in enumerate(lines):
        if _FORWARD_MARKER.match(line):
            return index
    return len(lines)


def _history_start(lines: Sequence[str]) -> tuple[int, frozenset[int]]:
    """Index where trailing quoted history begins, and the attribution lines of inline quotes."""
    inline_attributions: set[int] = set()
    for index, line in enumerate(lines):
        if _QUOTE_LINE.match(line) or not line.strip():
            continue
        if _OUTLOOK_MARKER.match(line) or _is_header_block(lines, index):
            return _include_separator(lines, index), frozenset(inline_attributions)
        size = _attribution_size(lines, index)
        if size:
            if not _has_answer_after_quote(lines[index + size :]):
                return index, frozenset(inline_attributions)
            inline_attributions.update(range(index, index + size))
    return len(lines), frozenset(inline_attributions)


def _attribution_size(lines: Sequence[str], index: int) -> int:
    """How many lines (1 to 3) the attribution starting at ``index`` takes, or 0 when none starts there.

    Gmail wraps a long attribution over two lines; Apple Mail and Gmail put a long address, and then
    "wrote:", on lines of their own. A three-line one must begin as attributions do ("On …", a date).
    """
    if _is_attribution(lines[index], before_quote=_next_is_quote(lines, index)):
        return 1
    joined = lines[index].rstrip()
    for size in (2, 3) if _ATTRIBUTION_HEAD.match(joined) else (2,):
        if index + size > len(lines):
            return 0
        following = lines[index + size - 1]
        if not following.strip() or _QUOTE_LINE.match(following):
            return 0
        if _is_attribution(following) and _ATTRIBUTION_HEAD.match(following):
            return 0
        joined += ("" if joined.endswith("<") else " ") + following.strip()
        if len(joined) > _MAX_JOINED_ATTRIBUTION:
            return 0
        if _is_attribution(joined):
            return size
    return 0


def _is_attribution(line: str, before_quote: bool = False) -> bool:
    if _WROTE.match(line):
        return before_quote or bool(_HAS_EVIDENCE.search(line))
    if _DASHED_WROTE.match(line) or _WROTE_NO_COLON.match(line):
        return bool(_HAS_EVIDENCE.search(line))
    return bool(_ADDRESS_COLON.match(line))


def _next_is_quote(lines: Sequence[str], index: int) -> bool:
    """A ">" line follows, at most one blank line away."""
    for line in lines[index + 1 : index + 3]:
        if line.strip():
            return bool(_QUOTE_LINE.match(line))
    return False


def _is_header_block(lines: Sequence[str], index: int) -> bool:
    """A quoted message's header block: "From:" and "Sent:"/"Date:" (От: / Отправлено: / Дата:) with only
    To:, Cc:, Subject:, Reply-To: (Кому: / Копия: / Тема:) between, in the order the client chose
    (Outlook starts with From:, Outlook.com and some webmails with Date:)."""
    seen_from = seen_date = False
    for offset, line in enumerate(lines[index : index + _HEADER_BLOCK_LINES]):
        if _HEADER_FROM.match(line):
            seen_from = True
        elif _HEADER_DATE.match(line):
            seen_date = True
        elif offset == 0 or not (_HEADER_OTHER.match(line) or _wrapped_address(lines, index + offset)):
            return False
        if seen_from and seen_date:
            return True
    return False


def _wrapped_address(lines: Sequence[str], index: int) -> bool:
    return bool(_ADDRESS_CONTINUATION.match(lines[index]) and _HEADER_FROM.match(lines[index - 1]))


def _include_separator(lines: Sequence[str], index: int) -> int:
    previous = index - 1
    while previous >= 0 and not lines[previous].strip():
        previous -= 1
    if previous >= 0 and (_SEPARATOR.match(lines[previous]) or _OUTLOOK_MARKER.match(lines[previous])):
        return previous
    return index


def _has_answer_after_quote(lines: Sequence[str]) -> bool:
    """True when new text follows a ``>`` block: the reply is written inline, between the quotes."""
    seen_quote = False
    for position, line in enumerate(lines):
        if _QUOTE_LINE.match(line):
            seen_quote = True
        elif line.strip() and seen_quote:
            return not _only_signature(lines[position:])
    return False


def _only_signature(lines: Sequence[str]) -> bool:
    first = next((line for line in lines if line.strip()), "")
    if not (_SIG_DELIMITER.match(first) or _NAMED_FOOTER.match(first) or _GENERIC_FOOTER.match(first)):
        return False
    kept, signature = _split_signature(list(lines))
    return bool(signature) and not any(line.strip() for line in kept)


def _drop_quote_blocks(lines: list[str], attributions: frozenset[int]) -> tuple[list[str], list[str]]:
    """Remove ``>`` blocks and their attributions, keeping the answers written between them.

    In a message with no attribution where every ``>`` block is introduced by a line ending in ":", the
    blocks are kept: they are most likely something the sender pasted (shell output, code), not quoted
    history. One block that follows anything else shows the sender is quoting, and then all of them go.
    """
    kept: list[str] = []
    removed: list[str] = []
    replying = bool(attributions) or _quotes_without_colon(lines)
    dropped_since_kept = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if index in attributions:
            removed.append(line)
            dropped_since_kept = True
            index += 1
            continue
        if _QUOTE_LINE.match(line):
            end = _quote_block_end(lines, index)
            if replying:
                removed.extend(lines[index:end])
                dropped_since_kept = True
            else:
                kept.extend(lines[index:end])
            index = end
            continue
        if not line.strip() and dropped_since_kept and kept and not kept[-1].strip():
            index += 1
            continue
        kept.append(line)
        if line.strip():
            dropped_since_kept = False
        index += 1
    return kept, removed


def _quote_block_end(lines: Sequence[str], start: int) -> int:
    end = start
    probe = start
    while probe < len(lines) and (_QUOTE_LINE.match(lines[probe]) or not lines[probe].strip()):
        if _QUOTE_LINE.match(lines[probe]):
            end = probe + 1
        probe += 1
    return end


def _quotes_without_colon(lines: Sequence[str]) -> bool:
    """True when some ``>`` block is not introduced by a line ending in ":": the sender is quoting."""
    last_text = ""  # the last non-blank line outside quotes
    for line in lines:
        if _QUOTE_LINE.match(line):
            if not last_text.rstrip().endswith(":"):
                return True
        elif line.strip():
            last_text = line
    return False


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    after = sum(1 for line in lines if line.strip())  # non-blank lines after the current one
    for index, line in enumerate(lines):
        after -= bool(line.strip())
        if _SIG_DELIMITER.match(line) and after <= _MAX_LINES_AFTER_DELIMITER:
            return lines[:index], lines[index:]
        if _NAMED_FOOTER.match(line) and after <= _MAX_LINES_AFTER_FOOTER:
            return lines[:index], lines[index:]
        if _GENERIC_FOOTER.match(line) and after == 0:
            return lines[:index], lines[index:]
    return lines, []


def _strip_blank_edges(lines: Sequence[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return [line.rstrip() for line in lines[start:end]]


# ---------------------------------------------------------------------------------------------------
# HTML rules
# ---------------------------------------------------------------------------------------------------

_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
     "wbr"}
)
_QUOTE_CLASSES = frozenset(
    {"gmail_attr", "moz-cite-prefix", "mail-quote-collapse"}
)
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


class _QuoteStripper(HTMLParser):
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
        first_lines = html_to_text(removed_html).split("\n")[:2]
        recent = self._recent_text.rstrip().split("\n")[-3:]
        return any(_FORWARD_MARKER.match(line) for line in [*first_lines, *recent])

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


def _strip_html(html: str) -> _QuoteStripper:
    stripper = _QuoteStripper()
    stripper.feed(html)
    stripper.finish()
    return stripper


def clean_html_reply(html: str) -> str:
    """Return the HTML with quote containers (blockquote, gmail_quote, Outlook's reply header) removed."""
    return "".join(_strip_html(html).kept)


_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "fieldset", "figure",
     "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
     "pre", "section", "table", "tbody", "thead", "tr", "ul"}
)
_HIDDEN_TAGS = frozenset({"head", "script", "style", "template", "title"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


class _TextExtractor(HTMLParser):
    """A small HTML to text conversion: block elements end lines, paragraphs leave a blank line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._hidden = 0
        self._pre = 0
        self._paragraphs: list[bool] = []  # open <p> elements: True when it is an Outlook one-line <p>

    def _tail(self) -> str:
        return "".join(self._parts[-2:])[-2:]

    def _line_break(self) -> None:
        if self._parts and not self._tail().endswith("\n"):
            self._parts.append("\n")

    def _paragraph_break(self) -> None:
        if self._parts and not self._tail().endswith("\n\n"):
            self._parts.append("\n" if self._tail().endswith("\n") else "\n\n")

    def _end_paragraph(self, outlook_line: bool) -> None:
        if outlook_line:
            self._line_break()
        else:
            self._paragraph_break()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag == "br":
            self._parts.append("\n")
        elif tag == "p":
            self._paragraphs.append(_is_outlook_line(attrs))
            self._end_paragraph(self._paragraphs[-1])
        elif tag in _BLOCK_TAGS:
            self._line_break()
        if tag == "pre":
            self._pre += 1
        if tag == "li":
            self._parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "p":
            self._end_paragraph(self._paragraphs.pop() if self._paragraphs else False)
        elif tag in _BLOCK_TAGS:
            self._line_break()
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not self._pre:
            data = _SPACES.sub(" ", data)
            if not self._parts or self._tail().endswith(("\n", " ")):  # spaces collapse across tags too
                data = data.lstrip(" ")
        if data:
            self._parts.append(data)

    def text(self) -> str:
        lines = "".join(self._parts).replace("\xa0", " ").split("\n")
        joined = "\n".join(line.rstrip() for line in lines)
        return re.sub(r"\n{3,}", "\n\n", joined).strip("\n")


def _is_outlook_line(attrs: list[tuple[str, str | None]]) -> bool:
    classes = next((value or "" for name, value in attrs if name == "class"), "")
    return "msonormal" in classes.lower()


def html_to_text(html: str) -> str:
    """Readable text of an HTML fragment or document (line structure kept, markup dropped)."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return extractor.text()


def clean_reply(text: str, html: str | None) -> CleanedReply:
    """Clean a reply, preferring the HTML structure when the message has an HTML part."""
    if not html or not html.strip():
        return clean_text_reply(text)
    stripped = _strip_html(html)
    cleaned = clean_text_reply(html_to_text("".join(stripped.kept)))
    if not cleaned.text.strip():
        return clean_text_reply(text) if text.strip() else CleanedReply(html_to_text(html).strip(), "", "")
    quoted = [html_to_text(part) for part in stripped.quoted] + [cleaned.quoted]
    signature = [cleaned.signature] + [html_to_text(part) for part in stripped.signatures]
    return CleanedReply(
        text=cleaned.text,
        quoted="\n".join(part for part in quoted if part.strip()),
        signature="\n".join(part for part in signature if part.strip()),
    )
