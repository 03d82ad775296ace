"""Confirmation links for an address a visitor typed into the chat.

A token is `<contact id>.<expiry, unix seconds>.<HMAC>`; the HMAC covers the address too, so a link
confirms only the address it was mailed to, and only while the contact still claims that address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

VALID_FOR = timedelta(hours=72)
_MAC_CHARS = 32
_NUMBER = re.compile(r"[0-9]{1,18}")
_LARGEST_ID = 2**31 - 1


@dataclass(frozen=True)
class Confirmation:
    contact_id: int
    address: str


def make_token(secret: str, contact_id: int, address: str, now: datetime) -> str:
    expires = int((now + VALID_FOR).timestamp())
    return f"{contact_id}.{expires}.{_mac(secret, contact_id, address, expires)}"


def read_token(secret: str, token: str, claimed: dict[int, str], now: datetime) -> Confirmation | None:
    """The confirmation a token stands for, or None when it is malformed, expired or for an address the
    contact no longer claims. `claimed` maps the contact id in the token to its claimed address."""
    parts = token.split(".")
    if len(parts) != 3 or not all(_NUMBER.fullmatch(part) for part in parts[:2]):
        return None
    contact_id, expires = int(parts[0]), int(parts[1])
    if now.timestamp() > expires or contact_id > _LARGEST_ID:
        return None
    address = claimed.get(contact_id)
    if not address:
        return None
    expected = _mac(secret, contact_id, address, expires).encode()
    if not hmac.compare_digest(parts[2].encode("ascii", "replace"), expected):
        return None
    return Confirmation(contact_id, address)


def contact_id_of(token: str) -> int | None:
    """The contact id a token names (not yet checked), to look up what that contact claims."""
    head = token.split(".", 1)[0]
    return int(head) if _NUMBER.fullmatch(head) and int(head) <= _LARGEST_ID else None


def _mac(secret: str, contact_id: int, address: str, expires: int) -> str:
    signed = "\x00".join(("relaydesk-confirm-email", str(contact_id), str(expires), address.lower()))
    digest = hmac.new(secret.encode("utf-8"), signed.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:_MAC_CHARS]
