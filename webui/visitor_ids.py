"""Signed visitor ids for the rd_visitor cookie: `<id>.<HMAC>`.

The id is chosen by the server and signed with the site secret, so a cookie planted or altered by
someone else (to read another visitor's chat) does not verify and is ignored: a fresh id is issued.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence

_MAC_CHARS = 27  # 160 bits of base64url
_ID = re.compile(r"[A-Za-z0-9_\-]{16,64}")


class VisitorIds:
    """Signs with the first key and accepts any, like the reply tokens (key rotation keeps chats)."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = [key.encode("utf-8") for key in keys if key]
        if not self._keys:
            raise ValueError("a secret key is needed")

    def new(self) -> tuple[str, str]:
        """A fresh visitor id and the cookie value that carries it."""
        visitor_id = secrets.token_urlsafe(24)
        return visitor_id, self.cookie_value(visitor_id)

    def cookie_value(self, visitor_id: str) -> str:
        return f"{visitor_id}.{_mac(self._keys[0], visitor_id)}"

    def read(self, cookie: str | None) -> str | None:
        """The visitor id a cookie carries, or None when it is missing, malformed or not ours."""
        visitor_id, dot, mac = (cookie or "").rpartition(".")
        if not dot or not _ID.fullmatch(visitor_id):
            return None
        given = mac.encode("ascii", "replace")
        if any(hmac.compare_digest(given, _mac(key, visitor_id).encode()) for key in self._keys):
            return visitor_id
        return None


def _mac(key: bytes, visitor_id: str) -> str:
    digest = hmac.new(key, b"relaydesk-visitor\x00" + visitor_id.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:_MAC_CHARS]
