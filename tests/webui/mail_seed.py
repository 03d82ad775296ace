"""Mail that needs a look, for Settings → Mail's tests and screenshots: quarantined inbound mail and
outbound mail that failed or is being retried, as the pipeline and the sender leave them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.engine import Engine
from sqlmodel import Session

from chatcore.mail_reasons import MailCode, MailReason, mail_reason
from chatcore.models import OutboxMail, OutboxStatus, SpoolItem, SpoolStatus


@dataclass(frozen=True)
class SeededMail:
    held: list[int]  # quarantined spool items, oldest first
    failed: int  # an outbox row given up on
    retrying: int  # an outbox row waiting for its next attempt


def mail(sender: str, to: str, subject: str, text: str, html: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = f"<{hashlib.sha256(subject.encode()).hexdigest()[:16]}@example.net>"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


def hold(session: Session, raw: bytes, reason: str | MailReason, at: datetime, step: str = "route") -> int:
    """A quarantined mail; a `MailReason` is stored as the pipeline stores it, a str as a row from before
    reason codes."""
    coded = reason if isinstance(reason, MailReason) else None
    row = SpoolItem(
        source_key=f"seed:{hashlib.sha256(raw).hexdigest()}",
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        status=SpoolStatus.QUARANTINED,
        reason=f"{step}: {coded.english}" if coded else str(reason),
        reason_detail=coded.to_json() if coded else None,
        received_at=at,
        processed_at=at,
    )
    session.add(row)
    session.flush()
    return row.id or 0


def outbox_row(session: Session, recipient: str, subject: str, at: datetime, *, failed: bool) -> int:
    raw = mail("Acme Support <support@example.com>", recipient, subject, "Hello")
    row = OutboxMail(
        recipient=recipient,
        envelope_from="support@example.com",
        raw=raw,
        status=OutboxStatus.FAILED if failed else OutboxStatus.PENDING,
        attempts=3 if failed else 2,
        last_error=(
            f"550 5.1.1 <{recipient}>: Recipient address rejected: User unknown"
            if failed
            else "connection refused by 127.0.0.1:2526"
        ),
        next_attempt_at=at + timedelta(minutes=4),
        deadline=at + timedelta(days=2),
        created_at=at - timedelta(minutes=5),
    )
    session.add(row)
    session.flush()
    return row.id or 0


def seed_mail(engine: Engine, now: datetime) -> SeededMail:
    with Session(engine, expire_on_commit=False) as session:
        held = [
            hold(
                session,
                mail(
                    "Pavel Orlov <pavel@home.example>",
                    "support+op.token@example.com",
                    "Re: Заказ 1042",
                    "Отправлю завтра.",
                ),
                mail_reason(
                    MailCode.NOT_OPERATORS_ADDRESS, operator="pavel@example.com", sender="pavel@home.example"
                ),
                now - timedelta(hours=2),
            ),
            hold(
                session,
                mail(
                    "Shop <news@shop.example>",
                    "support+x7kq2mfzq4dtrw3aa@example.com",
                    "Weekly offers",
                    "Offers of the week",
                    "<h2>Offers of the week</h2><p>Up to <b>30%</b> off garden tools."
                    '<script>alert("x")</script><img src="https://tracker.example/p.gif" alt=""></p>',
                ),
                mail_reason(MailCode.TOKEN_UNVERIFIED, address="support+x7kq2mfzq4dtrw3aa@example.com"),
                now - timedelta(minutes=30),
            ),
        ]
        failed = outbox_row(session, "nobody@example.org", "Your question about the refund", now, failed=True)
        retrying = outbox_row(session, "john@example.net", "Re: Invoice 7781", now, failed=False)
        session.commit()
    return SeededMail(held, failed, retrying)
