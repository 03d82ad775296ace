"""Routing tokens: who a reply is from and which conversation it belongs to, signed with HMAC.

A token packs (party, conversation id, party id) as varints, appends a truncated HMAC-SHA256 and is
written in lower-case base32 without padding, so servers that fold the case of addresses keep it intact.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

MAC_BYTES = 10  # 80 bits: forging one by guessing is out of reach at mail speeds
TOKEN_PATTERN = r"[a-z2-7]{20,60}"  # noqa: S105  (a regex, not a secret)
_MESSAGE_ID = re.compile(rf"^rd\.({TOKEN_PATTERN})\.[a-z0-9]+@", re.IGNORECASE)
_ADDRESS = re.compile(
    rf"^(?P<local>[^+@]+)\+(?P<bounce>b\.)?(?P<token>{TOKEN_PATTERN})@(?P<domain>.+)$", re.I
)


class Party(StrEnum):
    OPERATOR = "o"
    VISITOR = "v"
    BOUNCE = "b"


@dataclass(frozen=True)
class Token:
    party: Party
    conversation_id: int
    party_id: int  # the operator's id, the contact's id, or the outbox row's id for bounces
    issued_day: int | None = None  # days since 1970-01-01 UTC; operator tokens carry it to expire

    def stamped(self, when: datetime) -> Token:
        """This token with the day it is handed out (operator tokens only: theirs expire)."""
        if self.party is not Party.OPERATOR or self.issued_day is not None:
            return self
        return replace(self, issued_day=day_number(when))

    def issued_on(self) -> date | None:
        return None if self.issued_day is None else _EPOCH + timedelta(days=self.issued_day)


_EPOCH = date(1970, 1, 1)


def day_number(when: datetime) -> int:
    return (when.astimezone(UTC).date() - _EPOCH).days


class TokenCodec:
    """Signs with the first key, verifies with any, so keys can be rotated without breaking replies."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys or not keys[0]:
            raise ValueError("at least one non-empty secret key is needed")
        self._keys = [key.encode("utf-8") for key in keys if key]

    def encode(self, token: Token) -> str:
        body = token.party.value.encode("ascii") + _varint(token.conversation_id) + _varint(token.party_id)
        if token.issued_day is not None:
            body += _varint(token.issued_day)
        return _b32(body + _mac(self._keys[0], body))

    def decode(self, text: str) -> Token | None:
        """The token, or None when it is malformed or its signature matches no key."""
        try:
            data = base64.b32decode(text.upper() + "=" * (-len(text) % 8))
        except (ValueError, TypeError):
            return None
        if _b32(data) != text.lower():
            return None  # the last character's spare bits were changed: not the token we wrote
        if len(data) <= MAC_BYTES + 2:
            return None
        body, mac = data[:-MAC_BYTES], data[-MAC_BYTES:]
        if not any(hmac.compare_digest(mac, _mac(key, body)) for key in self._keys):
            return None
        return _unpack(body)

    def reply_address(self, mail_address: str, token: Token) -> str:
        local, domain = mail_address.split("@", 1)
        return f"{local}+{self.encode(token)}@{domain}"

    def bounce_address(self, mail_address: str, outbox_id: int) -> str:
        local, domain = mail_address.split("@", 1)
        return f"{local}+b.{self.encode(Token(Party.BOUNCE, 0, outbox_id))}@{domain}"

    def message_id(self, token: Token, unique: str, domain: str) -> str:
        """A Message-ID (without <>) that carries the token, for clients that drop the +part."""
        return f"rd.{self.encode(token)}.{unique}@{domain}"

    def from_addresses(
        self, addresses: Iterable[str], mail_address: str, *, bounce: bool = False
    ) -> Token | None:
        """The first valid token in our own mailbox's addresses: reply addresses (`local+TOKEN@`), or
        with `bounce` the VERP return paths (`local+b.TOKEN@`). Neither kind is taken for the other."""
        for match in _our_tokens(addresses, mail_address):
            token = self.decode(match["token"])
            if token is not None and bool(match["bounce"]) == bounce == (token.party is Party.BOUNCE):
                return token
        return None

    def unverified_reply_address(self, addresses: Iterable[str], mail_address: str) -> str | None:
        """The first of our reply addresses (`local+TOKEN@`) whose token does not verify under any key:
        altered on the way, or signed with a key since dropped."""
        for match in _our_tokens(addresses, mail_address):
            if not match["bounce"] and self.decode(match["token"]) is None:
                return match.string
        return None

    def from_message_ids(self, message_ids: Iterable[str]) -> Token | None:
        for message_id in message_ids:
            match = _MESSAGE_ID.match(message_id.strip().strip("<>"))
            if match:
                token = self.decode(match.group(1).lower())
                if token is not None and token.party is not Party.BOUNCE:
                    return token
        return None


def _our_tokens(addresses: Iterable[str], mail_address: str) -> Iterator[re.Match[str]]:
    """Addresses of our own mailbox that carry a token-shaped `+part`, verified or not."""
    local, domain = mail_address.lower().split("@", 1)
    for address in addresses:
        match = _ADDRESS.match(address.strip().strip("<>").lower())
        if match and match["local"] == local and match["domain"] == domain:
            yield match


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, b"relaydesk-token\x00" + body, hashlib.sha256).digest()[:MAC_BYTES]


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _varint(value: int) -> bytes:
    if value < 0:
        raise ValueError("ids are never negative")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _unpack(body: bytes) -> Token | None:
    try:
        party = Party(body[:1].decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return None
    numbers: list[int] = []
    value = shift = 0
    for byte in body[1:]:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            numbers.append(value)
            value = shift = 0
    if len(numbers) not in (2, 3) or shift:
        return None
    return Token(party, numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else None)
