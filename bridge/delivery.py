"""The outbox sender: claims due rows, hands them to the transport, records the outcome."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session, col

from bridge import notifications
from bridge.claims import claim_due
from bridge.context import Context
from bridge.db import transaction
from chatcore.events import DeliveryChanged, Event
from chatcore.models import Message, OutboxMail, OutboxStatus
from outbound.outbox import record_permanent_failure, record_sent, record_temporary_failure
from outbound.transport import MailTransport, PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)


def deliver_due(context: Context, transport: MailTransport, limit: int = 50) -> int:
    """Send what is due; returns how many rows were tried."""
    with transaction(context.engine) as session:
        claimed = claim_due(
            session,
            OutboxMail,
            now=context.clock.now(),
            lease=LEASE,
            due_column=col(OutboxMail.next_attempt_at),
            pending=OutboxStatus.PENDING,
            limit=limit,
        )
        batch = [(row.id, row.envelope_from, row.recipient, row.raw) for row in claimed]
    for row_id, envelope_from, recipient, raw in batch:
        outcome: str | None = None
        permanent = False
        try:
            transport.send(envelope_from, recipient, raw)
        except PermanentFailure as exc:
            outcome, permanent = str(exc), True
        except TemporaryFailure as exc:
            outcome = str(exc)
        _record(context, row_id, outcome, permanent)
    return len(batch)


def _record(context: Context, row_id: int | None, error: str | None, permanent: bool) -> None:
    now = context.clock.now()
    with transaction(context.engine) as session:
        row = session.get(OutboxMail, row_id)
        if row is None:
            return
        if error is None:
            record_sent(row, now)
        elif permanent:
            record_permanent_failure(row, error)
        else:
            record_temporary_failure(row, now, error, context.settings.outbound.retry_first)
            log.warning("delivery to %s deferred: %s", row.recipient, error)
        session.add(row)
        notifications.react(session, context, mirror_state(session, row))


def mirror_state(session: Session, row: OutboxMail) -> list[Event]:
    """Each message keeps the delivery state of every email that carried it; returns the change."""

    for message_id in row.message_ids:
        message = session.get(Message, message_id)
        if message is None:
            continue
        delivery = dict(message.delivery)
        delivery[row.recipient] = {"status": row.status, "error": row.last_error, "outbox_id": row.id}
        message.delivery = delivery
        session.add(message)
    if not row.message_ids:
        return []
    return [DeliveryChanged(row.conversation_id, tuple(row.message_ids), row.recipient, row.status)]
