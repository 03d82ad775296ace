"""Bounces back to an outbox row's VERP address, and what they change.

A delivery report with a permanent failure marks the row failed. When the mail went to a visitor, every
contact with that address is marked undeliverable, and no visitor email is queued for it until the
visitor writes again from it or an operator corrects the address. A bounce of an operator's mail is
kept on the row and logged: operators are never switched off by a bounce.
"""

from __future__ import annotations

import logging

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from bridge import notifications
from bridge.context import Context
from bridge.delivery import mirror_state
from chatcore.contacts import clear_undeliverable, mark_undeliverable
from chatcore.events import ContactChanged, Event
from chatcore.models import Contact, Operator, OutboxMail
from inbound.classify import Classification, MailKind
from outbound.outbox import record_permanent_failure

log = logging.getLogger(__name__)


def record_bounce(
    session: Session, context: Context, outbox_id: int | None, verdict: Classification | None
) -> str:
    """Apply one mail that came back to a bounce address; returns the outcome kept on the spool item."""
    row = session.get(OutboxMail, outbox_id) if outbox_id is not None else None
    if row is None:
        return "bounce for an unknown outbox row"
    if verdict is None or verdict.kind is not MailKind.BOUNCE or not verdict.bounce_permanent:
        kind = verdict.reason if verdict else "unclassified"
        return f"not a permanent failure report for outbox {row.id} to {row.recipient} ({kind})"
    reason = verdict.bounce_diagnostic or verdict.reason
    record_permanent_failure(row, f"bounced: {reason}")
    session.add(row)
    changes: list[Event] = [*mirror_state(session, row)]
    if _is_operator(session, row.recipient):
        notifications.react(session, context, changes)
        log.warning("mail %s to operator %s bounced: %s", row.id, row.recipient, reason)
        return f"bounce for outbox {row.id} to operator {row.recipient}"
    marked = _contacts_at(session, row.recipient)
    for contact in marked:
        mark_undeliverable(contact, reason, context.clock.now())
        session.add(contact)
        changes.append(ContactChanged(contact.id or 0, row.conversation_id))
    notifications.react(session, context, changes)
    log.info("mail %s to %s bounced, %d contact(s) marked undeliverable", row.id, row.recipient, len(marked))
    return f"bounce for outbox {row.id}: {row.recipient} marked undeliverable"


def sender_wrote_again(session: Session, address: str) -> None:
    """Mail a person sent from `address` (lower-cased, as parsed) shows that it works again."""
    # This runs for every visitor mail and almost never finds anything: ask the connection first, which
    # skips the ORM's flush and result machinery, and load contacts only when there are some.
    marked = session.connection().execute(_UNDELIVERABLE_AT, {"address": address}).scalars().all()
    for contact_id in marked:
        contact = session.get(Contact, contact_id)
        if contact is not None:
            clear_undeliverable(contact)
            session.add(contact)


_UNDELIVERABLE_AT = select(Contact.id).where(
    col(Contact.email) == bindparam("address"), col(Contact.undeliverable_at).is_not(None)
)


def _contacts_at(session: Session, address: str) -> list[Contact]:
    query = select(Contact).where(func.lower(col(Contact.email)) == address.lower())
    return list(session.exec(query))


def _is_operator(session: Session, address: str) -> bool:
    query = select(Operator.id).where(func.lower(col(Operator.email)) == address.lower())
    return session.exec(query).first() is not None
