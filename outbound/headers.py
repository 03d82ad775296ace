"""Header values built from user input: never a CR, LF or other control character."""

from __future__ import annotations

import re
from email import policy
from email.headerregistry import Address
from email.utils import formataddr

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_MAX_DECODE_ROUNDS = 20


def clean_header_text(value: str, limit: int = 200) -> str:
    """One line of text fit for a header: controls (CR and LF included) become one space.

    The email package decodes RFC 2047 encoded-words in any value set on a header, so
    `=?utf-8?q?a=0D=0ABcc:_x@y?=` would turn into a raw line break there; encoded-words are
    decoded here first (until nothing changes, as they may nest) and their controls removed too.
    """
    text = value
    for _ in range(_MAX_DECODE_ROUNDS):
        cleaned = _CONTROL.sub(" ", _decode_words(text)).strip()[:limit]
        if cleaned == text:
            return text
        text = cleaned
    return text.replace("=?", "= ?")  # nested deeper than any real header: defuse what is left


def _decode_words(value: str) -> str:
    try:
        return str(policy.default.header_factory("X-Relaydesk-Check", value))
    except Exception:  # an undecodable value is kept as is; its controls are still removed
        return value


def format_address(name: str, address: str) -> str:
    """`"Имя" <a@b>` with the name RFC 2047-encoded when needed; the address is checked, not trusted."""
    address = clean_header_text(address, 320)
    if not re.fullmatch(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+", address):
        raise ValueError(f"not a mail address: {address!r}")
    display = clean_header_text(name, 100)
    if not display:
        return address
    local, domain = address.rsplit("@", 1)
    try:
        return str(Address(display_name=display, username=local, domain=domain))
    except (ValueError, IndexError):
        return formataddr((display, address))


def subject_with_re(subject: str) -> str:
    """`Re: subject`, without piling up `Re: Re:` or `RE: Fwd:` variants."""
    bare = clean_header_text(subject, 250)
    while True:
        stripped = re.sub(r"^\s*(re|aw|sv|fwd?|ответ|отв)\s*(\[\d+\])?\s*:\s*", "", bare, flags=re.I)
        if stripped == bare:
            break
        bare = stripped
    return f"Re: {bare}" if bare else "Re:"
