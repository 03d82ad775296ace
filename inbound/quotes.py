"""Quoted history in a text reply: attribution lines, Outlook header blocks and ``>`` blocks.

``history_start`` finds where trailing history begins (and the attributions of quotes answered inline);
``drop_quote_blocks`` removes ``>`` blocks and those attributions, keeping the answers between them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from inbound.signature import only_signature

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
_MAX_JOINED_ATTRIBUTION = 400


def history_start(lines: Sequence[str]) -> tuple[int, frozenset[int]]:
    """Index where trailing quoted history begins, and the attribution lines of inline quotes."""
    inline_attributions: set[int] = set()
    for index, line in enumerate(lines):
        if _QUOTE_LINE.match(line) or not line.strip() or index in inline_attributions:
            continue
        if _OUTLOOK_MARKER.match(line) or _is_header_block(lines, index):
            start, end = _include_separator(lines, index), _header_end(lines, index)
            if not _reply_below_header(lines, start, end, inline_attributions):
                return start, frozenset(inline_attributions)
            inline_attributions.update(range(start, end))
            continue
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


def _reply_below_header(lines: Sequence[str], start: int, end: int, attributions: set[int]) -> bool:
    """A reply written below (or between) the ">" quote under a header block at the top of the message.

    With new text above the block, the sender top-posted and the ">" lines belong to the quoted message.
    """
    above = (line for number, line in enumerate(lines[:start]) if number not in attributions)
    if any(line.strip() and not _QUOTE_LINE.match(line) for line in above):
        return False
    return _next_is_quote(lines, end - 1) and _has_answer_after_quote(lines[end:])


def _header_end(lines: Sequence[str], index: int) -> int:
    """The index after the Outlook marker or header block starting at ``index``."""
    end = index + 1
    if _OUTLOOK_MARKER.match(lines[index]):
        while end < len(lines) and not lines[end].strip():
            end += 1
    while end < len(lines) and (_is_header_line(lines[end]) or _wrapped_address(lines, end)):
        end += 1
    return end


def _is_header_line(line: str) -> bool:
    return bool(_HEADER_FROM.match(line) or _HEADER_DATE.match(line) or _HEADER_OTHER.match(line))


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
            return not only_signature(lines[position:])
    return False


def drop_quote_blocks(lines: list[str], attributions: frozenset[int]) -> tuple[list[str], list[str]]:
    """Remove ``>`` blocks and their attributions, keeping the answers written between them.

    In a message with no attribution the blocks are kept unless their places show the sender is quoting
    (``_quoting_without_attribution``): kept, they are most likely something the sender pasted (shell
    output, a bounce line, a clause of a contract), and dropping that would lose what the sender wrote.
    """
    kept: list[str] = []
    removed: list[str] = []
    replying = bool(attributions) or _quoting_without_attribution(lines)
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


def _quoting_without_attribution(lines: Sequence[str]) -> bool:
    """True when the ``>`` blocks sit where a reply puts quotes. Blocks that are each introduced by a line
    ending in ":" are pasted ("the console prints:"), and so is one lone block inside the sender's text;
    a block that opens or ends the message, or one of several answered point by point, is quoted."""
    blocks = _quote_blocks(lines)
    if all(_text_before(lines, start).rstrip().endswith(":") for start, _ in blocks):
        return False
    if len(blocks) > 1:
        return True
    texts = [index for index, line in enumerate(lines) if line.strip() and not _QUOTE_LINE.match(line)]
    (start, end), *_ = blocks
    return not texts or start < texts[0] or end > texts[-1]


def _quote_blocks(lines: Sequence[str]) -> list[tuple[int, int]]:
    """Each ``>`` block as (first line, last line), blank lines inside a block included."""
    blocks: list[tuple[int, int]] = []
    index = 0
    while index < len(lines):
        if _QUOTE_LINE.match(lines[index]):
            end = _quote_block_end(lines, index)
            blocks.append((index, end - 1))
            index = end
        else:
            index += 1
    return blocks


def _text_before(lines: Sequence[str], index: int) -> str:
    """The nearest non-blank line above ``index`` outside quotes ("" when there is none)."""
    for line in reversed(lines[:index]):
        if line.strip() and not _QUOTE_LINE.match(line):
            return line
    return ""
