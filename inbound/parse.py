"""Parse raw mail bytes (minimal version; replaced by the full parser)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str | None
    inline: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: str
    from_name: str
    reply_to: tuple[str, ...]
    to: tuple[str, ...]
    cc: tuple[str, ...]
    delivered_to: tuple[str, ...]
    subject: str
    date: datetime | None
    text: str
    html: str | None
    attachments: tuple[MailAttachment, ...]
    headers: tuple[tuple[str, str], ...]
    defects: tuple[str, ...]

    def header(self, name: str) -> str | None:
        values = self.header_all(name)
        return values[0] if values else None

    def header_all(self, name: str) -> tuple[str, ...]:
        return tuple(value for key, value in self.headers if key.lower() == name.lower())


@dataclass(frozen=True)
class ParseLimits:
    max_size: int = 25 * 1024 * 1024
    max_parts: int = 200
    max_depth: int = 12
    max_headers: int = 1000


class MailRejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_mail(raw: bytes, limits: ParseLimits | None = None) -> ParsedMail:
    limits = limits or ParseLimits()
    if len(raw) > limits.max_size:
        raise MailRejected(f"mail is {len(raw)} bytes, over the limit of {limits.max_size}")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        return _parsed(message)
    except Exception as exc:  # the minimal parser gives up cleanly on anything unusual
        raise MailRejected(f"cannot parse: {exc}") from exc


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip("<>") for part in (value or "").split() if part.strip("<>"))


def _addresses(message: EmailMessage, name: str) -> tuple[str, ...]:
    return tuple(addr.lower() for _, addr in getaddresses([str(v) for v in message.get_all(name, [])]) if addr)


def _parsed(message: EmailMessage) -> ParsedMail:
    name, address = parseaddr(str(message.get("From", "")))
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    text = text_part.get_content() if text_part is not None else ""
    html = html_part.get_content() if html_part is not None else None
    date = None
    if message.get("Date"):
        try:
            date = parsedate_to_datetime(str(message["Date"])).astimezone(UTC)
        except (TypeError, ValueError):
            date = None
    attachments = tuple(
        MailAttachment(
            filename=part.get_filename() or "attachment",
            content_type=part.get_content_type(),
            data=part.get_payload(decode=True) or b"",
            content_id=(part.get("Content-ID") or "").strip("<>") or None,
            inline=part.get_content_disposition() == "inline",
        )
        for part in message.iter_attachments()
    )
    return ParsedMail(
        message_id=(str(message.get("Message-ID", "")).strip().strip("<>") or None),
        in_reply_to=_ids(str(message.get("In-Reply-To", ""))),
        references=_ids(str(message.get("References", ""))),
        from_address=address.lower(),
        from_name=name,
        reply_to=_addresses(message, "Reply-To"),
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        delivered_to=_addresses(message, "Delivered-To") + _addresses(message, "X-Original-To"),
        subject=str(message.get("Subject", "")),
        date=date,
        text=text,
        html=html,
        attachments=attachments,
        headers=tuple((key, str(value)) for key, value in message.items()),
        defects=tuple(str(d) for d in message.defects),
    )


def resolve_cid(html: str, url_for: Callable[[str], str | None]) -> str:
    return html
