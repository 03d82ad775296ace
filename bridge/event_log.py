"""The event log: committed events as small rows, the one source every live stream reads.

Rows are written in the transaction of the change (by `notifications.react`), so an event exists exactly
when its change committed. On PostgreSQL the same transaction sends a NOTIFY with the newest id; it is
delivered at commit and only wakes the listeners, which read the rows themselves.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bridge.db import transaction
from chatcore import events as ev
from chatcore.models import Conversation, EventLog

NOTIFY_CHANNEL = "relaydesk_events"
BACKLOG = 10_000  # rows kept; a client further behind than this starts over ("reset")
REPLAY_PAGE = 500

_INSERT = insert(EventLog).returning(col(EventLog.id))
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


def record(session: Session, events: list[ev.Event], now: datetime) -> None:
    """Add one row per event to the caller's transaction (and, on PostgreSQL, a NOTIFY sent at commit)."""
    if not events:
        return
    rows = [_row(session, event, now) for event in events]
    connection = session.connection()
    ids = [i or 0 for i in connection.execute(_INSERT, rows).scalars().all()]
    if connection.dialect.name == "postgresql":
        connection.execute(_NOTIFY, {"channel": NOTIFY_CHANNEL, "payload": str(max(ids))})


def _row(session: Session, event: ev.Event, now: datetime) -> dict[str, Any]:
    payload = {k: v for k, v in dataclasses.asdict(event).items() if k != "conversation_id"}
    if isinstance(event, ev.MessagePosted):
        # the visitor's stream picks its own conversations by contact, and the desk's notifications go
        # to the assignee (or everyone), without another query each
        conversation = session.get(Conversation, event.conversation_id)
        payload["contact_id"] = conversation.contact_id if conversation else None
        payload["assignee_id"] = conversation.assignee_id if conversation else None
    if isinstance(event, ev.DeliveryChanged):
        payload["message_ids"] = list(event.message_ids)
    return {
        "type": ev.EVENT_TYPES[type(event)],
        "conversation_id": getattr(event, "conversation_id", None),
        "payload": payload,
        "created_at": now,
    }


def read_after(session: Session, after: int, limit: int = REPLAY_PAGE) -> list[ev.LoggedEvent]:
    """Committed events with an id above `after`, oldest first."""
    query = select(EventLog).where(col(EventLog.id) > after).order_by(col(EventLog.id)).limit(limit)
    return [_logged(row) for row in session.exec(query)]


def newest_id(session: Session) -> int:
    return session.exec(select(func.max(EventLog.id))).one() or 0


def is_too_old(session: Session, cursor: int) -> bool:
    """True when events after `cursor` may have been pruned, or the cursor names no event of this log."""
    oldest, newest = session.exec(select(func.min(EventLog.id), func.max(EventLog.id))).one()
    if oldest is None or newest is None:
        return cursor > 0
    return cursor < oldest - 1 or cursor > newest


def prune(engine: Engine, keep: int = BACKLOG) -> int:
    """Delete all but the newest `keep` rows; returns how many went."""
    with transaction(engine) as session:
        newest = newest_id(session)
        if newest <= keep:
            return 0
        result = session.connection().execute(delete(EventLog).where(col(EventLog.id) <= newest - keep))
        return result.rowcount or 0


def _logged(row: EventLog) -> ev.LoggedEvent:
    return ev.LoggedEvent(
        id=row.id or 0,
        type=row.type,
        conversation_id=row.conversation_id,
        created_at=row.created_at,
        payload=dict(row.payload),
    )
