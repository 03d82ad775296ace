"""Build an outgoing email with sensible parts, and read composed bytes back with the stdlib."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from outbound.compose import OutgoingEmail, compose

EXPECTED_HEADERS = {
    "from",
    "to",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "auto-submitted",
    "x-auto-response-suppress",
    "x-relaydesk-origin",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}

BASE = OutgoingEmail(
    from_name="Support",
    from_address="support@example.com",
    to_name="Anna",
    to_address="anna@example.org",
    subject="Your order",
    text="Hello, Anna.\n",
    html="<p>Hello, Anna.</p>",
    message_id="rd.abc.1@example.com",
    date=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
    reply_to="support+abcdefghijklmnopqrst@example.com",
    in_reply_to="earlier@example.com",
    references=("first@example.com", "earlier@example.com"),
    auto_submitted="auto-generated",
    extra_headers=(("X-Relaydesk-Origin", "0123456789abcdef01234567"),),
)


def email_with(**changes: Any) -> OutgoingEmail:
    return replace(BASE, **changes)


def composed(mail: OutgoingEmail) -> tuple[bytes, EmailMessage]:
    raw = compose(mail)
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return raw, parsed


def top_level_header_names(raw: bytes) -> list[str]:
    """Header names exactly as the bytes carry them: a header starts every unindented line."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    names = []
    for line in head.replace(b"\r\n", b"\n").split(b"\n"):
        if line and line[:1] not in (b" ", b"\t"):
            names.append(line.split(b":", 1)[0].decode("ascii", "replace").lower())
    return names
