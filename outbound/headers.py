"""Header values built from user input: never a CR, LF or other control character."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.utils import formataddr

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def clean_header_text(value: str, limit: int = 200) -> str:
    """One line of text fit for a header: controls (CR and LF included) become one space."""
    return _CONTROL.sub(" ", value).strip()[:limit]


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
