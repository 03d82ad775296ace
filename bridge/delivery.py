"""The outbox sender: claims due rows, hands them to the transport, records the outcome."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from bridge import notifications
from bridge.claims import claim_due
from bridge.context import Context
from bridge.db import transaction
from chatcore.events import DeliveryChanged, Event
from chatcore.models import Message, OutboxMail, OutboxStatus, UTCDateTime
from outbound.outbox import record_permanent_failure, record_sent, record_temporary_failure
from outbound.transport import MailTransport, PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)


def deliver_due(
    context: Context, transport: MailTransport, limit: int = 50, lease: timedelta = LEASE
) -> int:
    """Send what is due; returns how many rows were tried.

    The rows are leased under a token of this pass. Each row's lease is renewed just before it is sent
    (and the row skipped when another worker took it over meanwhile), and an outcome is recorded only
    while the lease is still ours: a relay slow enough to outlast a lease cannot make two workers send
    one row. The batch is no larger than the sends that fit in one lease at the relay's timeout."""
    token = secrets.token_hex(8)
    size = max(1, min(limit, int(lease / _send_budget(context))))
    with transaction(context.engine) as session:
        claimed = claim_due(
            session,
            OutboxMail,
            now=context.clock.now(),
            lease=lease,
            due_column=col(OutboxMail.next_attempt_at),
            pending=OutboxStatus.PENDING,
            limit=size,
        )
        for row in claimed:
            row.lease_token = token
            session.add(row)
        batch = [(row.id or 0, row.envelope_from, row.recipient, row.raw) for row in claimed]
    tried = 0
    for row_id, envelope_from, recipient, raw in batch:
        if not _renew(context, row_id, token, lease):
            log.warning("outbox row %s was taken over by another worker; not sending it", row_id)
            continue
        tried += 1
        outcome: str | None = None
        permanent = False
        try:
            transport.send(envelope_from, recipient, raw)
        except PermanentFailure as exc:
            outcome, permanent = str(exc), True
        except TemporaryFailure as exc:
            outcome = str(exc)
        _record(context, row_id, token, outcome, permanent)
    return tried


def _send_budget(context: Context) -> timedelta:
    """How long one send may take: the relay's timeout, twice (connect, then the mail); a local
    Maildir write, about nothing."""
    outbound = context.settings.outbound
    if outbound.transport == "maildir":
        return timedelta(seconds=1)
    return max(outbound.timeout * 2, timedelta(seconds=1))


def _renew(context: Context, row_id: int, token: str, lease: timedelta) -> bool:
    """Extend our lease on the row before sending it; False when it is no longer ours to send."""
    now = context.clock.now()
    with context.engine.begin() as connection:
        values = {"row": row_id, "holder": token, "until": now + lease, "now": now}
        return connection.execute(_RENEW, values).rowcount == 1


_RENEW = (
    update(OutboxMail)
    .where(col(OutboxMail.id) == bindparam("row"), col(OutboxMail.lease_token) == bindparam("holder"))
    .where(col(OutboxMail.status) == OutboxStatus.PENDING)
    .where(col(OutboxMail.claimed_until) > bindparam("now", type_=UTCDateTime()))
    .values(claimed_until=bindparam("until", type_=UTCDateTime()))
)


def _record(context: Context, row_id: int, token: str, error: str | None, permanent: bool) -> None:
    now = context.clock.now()
    with transaction(context.engine) as session:
        row = session.exec(select(OutboxMail).where(OutboxMail.id == row_id).with_for_update()).first()
        if row is None:
            return
        if row.lease_token != token or row.status != OutboxStatus.PENDING:
            log.warning("outbox row %s: lease lost before its outcome was recorded", row_id)
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
