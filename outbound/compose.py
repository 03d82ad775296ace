"""Build the bytes of an outgoing email from its parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from outbound.headers import clean_header_text, format_address


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
    return message.as_bytes()
