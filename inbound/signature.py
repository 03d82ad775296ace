"""Signatures at the end of the sender's text: an RFC 3676 delimiter, a mobile footer, or a closing.

A closing is a sign-off line ("Best regards,", "Thanks,", "С уважением,", "Спасибо!") followed by at most
two short lines (a name, a position), or a sign-off and a name on one line ("Best regards, Bob"). It goes
with the signature: the chat shows the message, the stored original keeps everything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# RFC 3676 "-- " (often trimmed to "--"), and a line of em dashes: iOS turns a typed "--" into "—".
SIG_DELIMITER = re.compile(r"^(--|—+)\s*$")
# Footers that name the device or the mail app; the generic "Sent from …" form only counts as the last line.
NAMED_FOOTER = re.compile(
    r"^\s*((sent|отправлено)\s+(from|with|via|с|со|из)\s+.{0,30}"
    r"(iphone|ipad|android|samsung|galaxy|huawei|xiaomi|mail\.ru|яндекс|yandex|outlook|gmail|blackberry)"
    r".{0,50}|(get|download|получите|получить|скачайте|скачать) outlook (for|для) (ios|android))"
    # Outlook mobile links its name: "<https://…>" in the text part, " [https://…]" from the HTML part
    r"(\s*(<https?://[^\s<>]*>|\[https?://[^\s\]]*\]))?\s*$",
    re.IGNORECASE,
)
GENERIC_FOOTER = re.compile(r"^\s*(sent|отправлено)\s+(from|with|с|со|из)\s+\S.{0,40}$", re.IGNORECASE)
_MAX_LINES_AFTER_DELIMITER = 15
_MAX_LINES_AFTER_FOOTER = 2

_REGARDS = (
    r"(?:(?:best|kind|warm|warmest|with)\s+)?regards|cheers|best|best wishes|all the best|sincerely"
    r"|yours sincerely|yours truly|respectfully|с уважением|с наилучшими пожеланиями"
    r"|всего (?:доброго|хорошего|наилучшего)|с благодарностью"
)
_THANKS = (
    r"(?:many\s+)?thanks(?:\s+(?:again|a lot|in advance))?|thank you(?:\s+(?:very much|so much|again))?"
    r"|спасибо(?:\s+(?:большое|заранее))?|(?:большое|заранее)\s+спасибо|благодарю"
)
_SIGN_OFF = re.compile(rf"^\s*(?i:{_REGARDS}|{_THANKS})\s*[,.!]?\s*$")
# Only the regards family takes a name on its line: "Спасибо, Анна!" thanks the operator.
_NAME_WORD = r"[A-ZА-ЯЁ][\w'’.-]*"
_SIGN_OFF_AND_NAME = re.compile(rf"^\s*(?i:{_REGARDS})\s*,\s*{_NAME_WORD}(\s+{_NAME_WORD}){{0,2}}\s*$")
_MAX_CLOSING_NAME_LINES = 2
_MAX_NAME_LINE_CHARS = 40
_MAX_NAME_LINE_WORDS = 5


def split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    """The sender's text and what follows its delimiter or footer (RFC 3676, mobile footers)."""
    after = sum(1 for line in lines if line.strip())  # non-blank lines after the current one
    for index, line in enumerate(lines):
        after -= bool(line.strip())
        if SIG_DELIMITER.match(line) and after <= _MAX_LINES_AFTER_DELIMITER:
            return lines[:index], lines[index:]
        if NAMED_FOOTER.match(line) and after <= _MAX_LINES_AFTER_FOOTER:
            return lines[:index], lines[index:]
        if GENERIC_FOOTER.match(line) and after == 0:
            return lines[:index], lines[index:]
    return lines, []


def split_closing(lines: list[str]) -> tuple[list[str], list[str]]:
    """The sender's text and the closing that ends it; no closing is taken when nothing would be left."""
    content = [index for index, line in enumerate(lines) if line.strip()]
    for count, start in enumerate(reversed(content[-1 - _MAX_CLOSING_NAME_LINES :])):
        names = [lines[index] for index in content[len(content) - count :]]
        if _is_closing(lines[start], names) and content[0] < start:
            return lines[:start], lines[start:]
    return lines, []


def _is_closing(first: str, names: Sequence[str]) -> bool:
    if not names and _SIGN_OFF_AND_NAME.match(first):
        return True
    return bool(_SIGN_OFF.match(first)) and all(_is_name_line(line) for line in names)


def _is_name_line(line: str) -> bool:
    text = line.strip()
    return (
        len(text) <= _MAX_NAME_LINE_CHARS
        and len(text.split()) <= _MAX_NAME_LINE_WORDS
        and not text.endswith(("?", ":", "!", "."))
    )


def only_signature(lines: Sequence[str]) -> bool:
    """True when the lines are a delimiter or footer and what belongs to it, nothing else."""
    first = next((line for line in lines if line.strip()), "")
    if not (SIG_DELIMITER.match(first) or NAMED_FOOTER.match(first) or GENERIC_FOOTER.match(first)):
        return False
    kept, signature = split_signature(list(lines))
    return bool(signature) and not any(line.strip() for line in kept)
