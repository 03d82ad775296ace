"""The outbox: a composed mail becomes a row in the sender's transaction; retries follow a backoff."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from chatcore.models import OutboxMail, OutboxStatus

FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)


def enqueue(
    session: Session,
    *,
    now: datetime,
    retry_for: timedelta,
    recipient: str,
    envelope_from: str,
    raw: bytes,
    email_message_id: str,
    kind: str,
    conversation_id: int | None,
    message_ids: list[int],
) -> OutboxMail:
    row = OutboxMail(
        conversation_id=conversation_id,
        kind=kind,
        recipient=recipient,
        envelope_from=envelope_from,
        raw=raw,
        email_message_id=email_message_id,
        message_ids=message_ids,
        next_attempt_at=now,
        deadline=now + retry_for,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def next_wait(attempts: int, first: timedelta = FIRST_RETRY) -> timedelta:
    """`first`, then twice as long each time (30 s, 1 min, 2 min, 4 min … by default), capped at one hour."""
    return min(first * (1 << min(max(attempts - 1, 0), 16)), LONGEST_WAIT)


def record_sent(row: OutboxMail, now: datetime) -> None:
    row.status = OutboxStatus.SENT
    row.sent_at = now
    row.claimed_until = None
    row.last_error = ""


def record_temporary_failure(
    row: OutboxMail, now: datetime, error: str, first_retry: timedelta = FIRST_RETRY
) -> None:
    row.last_error = error[:1000]
    row.claimed_until = None
    if now >= row.deadline:
        row.status = OutboxStatus.FAILED
        row.last_error = f"gave up after {row.attempts} attempts: {error}"[:1000]
    else:
        row.next_attempt_at = now + next_wait(row.attempts, first_retry)


def record_permanent_failure(row: OutboxMail, error: str) -> None:
    row.status = OutboxStatus.FAILED
    row.last_error = error[:1000]
    row.claimed_until = None
