"""Mail that needs an admin's look: inbound mail in quarantine and outbound mail that failed or is
being retried. Counting, listing a page of either, forgetting a quarantined mail and making an
outbox row due again; the pipeline run of a retry stays in bridge.quarantine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import Message as Message_
from email.parser import BytesParser
from gettext import NullTranslations

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select

from chatcore.mail_reasons import MailReason, mail_reason_text
from chatcore.models import Message, Operator, OutboxMail, OutboxStatus, SpoolItem, SpoolStatus

ADMIN = "admin"


@dataclass(frozen=True)
class MailCounts:
    quarantined: int
    failing: int

    @property
    def total(self) -> int:
        return self.quarantined + self.failing


@dataclass(frozen=True)
class QuarantinedMail:
    id: int
    received_at: datetime
    sender: str
    subject: str
    reason: str  # the English sentence as stored
    source_key: str
    size: int
    detail: MailReason | None = None  # the same as a code, for the reader's language (None: stored before)

    def reason_in(self, t: NullTranslations) -> str:
        """For a page: in the catalog's language when coded, starting with a capital letter."""
        text = mail_reason_text(self.detail, t) if self.detail else self.reason
        return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class FailingMail:
    id: int
    recipient: str
    subject: str
    kind: str
    status: str  # "failed": given up; "pending": retrying
    attempts: int
    last_error: str
    next_attempt_at: datetime
    created_at: datetime
    conversation_id: int | None


def _headers(raw: bytes) -> Message_:
    return BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)


def summary(row: SpoolItem) -> QuarantinedMail:
    """What a list shows of a spooled mail: its From and Subject, read from the headers alone."""
    headers = _headers(row.raw)
    return QuarantinedMail(
        id=row.id or 0,
        received_at=row.received_at,
        sender=str(headers.get("From", "") or row.envelope_from or ""),
        subject=str(headers.get("Subject", "")),
        reason=row.reason,
        source_key=row.source_key,
        size=len(row.raw),
        detail=MailReason.from_json(row.reason_detail),
    )


def _quarantined() -> ColumnElement[bool]:
    return col(SpoolItem.status) == SpoolStatus.QUARANTINED


def failing() -> ColumnElement[bool]:
    """Given up on, or still pending after a failed attempt."""
    retrying = and_(col(OutboxMail.status) == OutboxStatus.PENDING, col(OutboxMail.last_error) != "")
    return or_(col(OutboxMail.status) == OutboxStatus.FAILED, retrying)


def mail_counts(session: Session) -> MailCounts:
    """One count query each; both run on the status indexes."""
    held = session.exec(select(func.count()).select_from(SpoolItem).where(_quarantined())).one()
    bad = session.exec(select(func.count()).select_from(OutboxMail).where(failing())).one()
    return MailCounts(quarantined=int(held), failing=int(bad))


def needs_a_look(session: Session, operator: Operator) -> MailCounts | None:
    """The counts for the inbox header: only for admins, and only when there is something."""
    if operator.role != ADMIN:
        return None
    counts = mail_counts(session)
    return counts if counts.total else None


def quarantined_page(session: Session, offset: int, limit: int) -> list[QuarantinedMail]:
    """Newest first."""
    query = select(SpoolItem).where(_quarantined()).order_by(col(SpoolItem.id).desc())
    return [summary(row) for row in session.exec(query.offset(offset).limit(limit))]


def quarantined_one(session: Session, spool_id: int) -> SpoolItem | None:
    row = session.get(SpoolItem, spool_id)
    return row if row is not None and row.status == SpoolStatus.QUARANTINED else None


def failing_summary(row: OutboxMail) -> FailingMail:
    return FailingMail(
        id=row.id or 0,
        recipient=row.recipient,
        subject=str(_headers(row.raw).get("Subject", "")),
        kind=row.kind,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        conversation_id=row.conversation_id,
    )


def failing_page(session: Session, offset: int, limit: int, status: str | None = None) -> list[FailingMail]:
    """Newest first; `status` "failed" or "pending" narrows to given-up or retrying mail."""
    query = select(OutboxMail).where(failing())
    if status is not None:
        query = query.where(col(OutboxMail.status) == status)
    rows = session.exec(query.order_by(col(OutboxMail.id).desc()).offset(offset).limit(limit))
    return [failing_summary(row) for row in rows]


def landed_in(session: Session, spool_id: int) -> int | None:
    """The conversation a processed mail's message went to, if it made one."""
    query = select(Message.conversation_id).where(col(Message.spool_item_id) == spool_id).limit(1)
    return session.exec(query).first()


def delete_quarantined(session: Session, spool_id: int) -> bool:
    """Forget a quarantined mail; False when there is none by that id (or a message still keeps it)."""
    row = quarantined_one(session, spool_id)
    if row is None:
        return False
    if landed_in(session, spool_id) is not None:
        return False
    session.delete(row)
    return True


def make_due(session: Session, outbox_id: int, now: datetime, retry_for: timedelta) -> OutboxMail | None:
    """ "Retry now": the sender takes the row on its next pass. A row that was given up on is pending
    again with a fresh deadline. None when there is no such failing row, or a sender holds it now
    (its outcome is recorded by that sender; making it due again could send it twice)."""
    row = session.exec(
        select(OutboxMail).where(col(OutboxMail.id) == outbox_id, failing()).with_for_update()
    ).first()
    if row is None or (row.claimed_until is not None and row.claimed_until > now):
        return None
    if row.status == OutboxStatus.FAILED:
        row.status = OutboxStatus.PENDING
        row.deadline = now + retry_for
    row.next_attempt_at = now
    session.add(row)
    return row
