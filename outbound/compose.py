"""Build the bytes of an outgoing email from its parts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from outbound.headers import clean_header_text, format_address

_TYPE_PART = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")


@dataclass(frozen=True)
class OutgoingAttachment:
    filename: str  # from a user: cleaned here before it reaches a header
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutgoingEmail:
    from_name: str
    from_address: str
    to_name: str
    to_address: str
    subject: str
    text: str
    html: str | None
    message_id: str  # without <>
    date: datetime
    reply_to: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    auto_submitted: str | None = None  # "auto-generated" | "auto-replied"
    extra_headers: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    attachments: tuple[OutgoingAttachment, ...] = ()


def compose(mail: OutgoingEmail) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = format_address(mail.from_name, mail.from_address)
    message["To"] = format_address(mail.to_name, mail.to_address)
    if mail.reply_to:
        message["Reply-To"] = format_address(mail.from_name, mail.reply_to)
    message["Subject"] = clean_header_text(mail.subject, 250)
    message["Date"] = format_datetime(mail.date)
    message["Message-ID"] = f"<{clean_header_text(mail.message_id)}>"
    if mail.in_reply_to:
        message["In-Reply-To"] = f"<{clean_header_text(mail.in_reply_to)}>"
    if mail.references:
        message["References"] = " ".join(f"<{clean_header_text(ref)}>" for ref in mail.references[-20:])
    if mail.auto_submitted:
        message["Auto-Submitted"] = mail.auto_submitted
        message["X-Auto-Response-Suppress"] = "All"
    for name, value in mail.extra_headers:
        message[name] = clean_header_text(value)
    message.set_content(mail.text, cte="quoted-printable")
    if mail.html:
        message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    for attachment in mail.attachments:
        _attach(message, attachment)
    return message.as_bytes()


def _attach(message: EmailMessage, attachment: OutgoingAttachment) -> None:
    maintype, _, subtype = attachment.content_type.partition("/")
    if not (_TYPE_PART.match(maintype) and _TYPE_PART.match(subtype)) or maintype in ("multipart", "message"):
        maintype, subtype = "application", "octet-stream"  # these may not be base64-encoded; a file may
    filename = clean_header_text(attachment.filename, 150) or "file"
    message.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=filename)
