"""Where a stored file is fetched from: the operator's URL (session checked) and the visitor's signed URL.

A visitor URL carries an HMAC-SHA256 over the attachment id and its conversation id made with
`site.secret_key`, so it names one file of one conversation, cannot be guessed or moved to another file,
and needs no login. It does not expire: a visitor may open an old email.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

TOKEN_BYTES = 16


def operator_file_path(conversation_id: int, attachment_id: int) -> str:
    return f"/inbox/{conversation_id}/files/{attachment_id}"


class FileLinks:
    """Signs with the first key and accepts any, as the mail tokens do, so keys rotate without breaking."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys or not keys[0]:
            raise ValueError("at least one non-empty secret key is needed")
        self._keys = [key.encode("utf-8") for key in keys if key]

    def token(self, attachment_id: int, conversation_id: int) -> str:
        return _sign(self._keys[0], attachment_id, conversation_id)

    def valid(self, token: str, attachment_id: int, conversation_id: int) -> bool:
        given = token.encode("utf-8")
        expected = (_sign(key, attachment_id, conversation_id).encode("ascii") for key in self._keys)
        return any(hmac.compare_digest(given, wanted) for wanted in expected)

    def visitor_path(self, attachment_id: int, conversation_id: int) -> str:
        return f"/files/{attachment_id}/{self.token(attachment_id, conversation_id)}"


def _sign(key: bytes, attachment_id: int, conversation_id: int) -> str:
    body = f"relaydesk-file\x00{attachment_id}\x00{conversation_id}".encode("ascii")
    digest = hmac.new(key, body, hashlib.sha256).digest()[:TOKEN_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
