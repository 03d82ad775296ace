"""Claim due rows so that no two workers, threads or processes take the same one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from chatcore.models import Job, OutboxMail, SpoolItem

Claimable = TypeVar("Claimable", Job, OutboxMail, SpoolItem)


def lock_next_due(
    session: Session, model: type[Claimable], *, now: datetime, due_column: Any, pending: str
) -> Claimable | None:
    """The oldest due row, locked for the caller's transaction (see `lock_due`)."""
    found = lock_due(session, model, now=now, due_column=due_column, pending=pending, limit=1)
    return found[0] if found else None


def lock_due(
    session: Session, model: type[Claimable], *, now: datetime, due_column: Any, pending: str, limit: int
) -> list[Claimable]:
    """The oldest due rows, locked for the caller's transaction: work done in that same transaction
    needs no lease, because a worker that dies releases the lock with its connection.

    PostgreSQL skips rows that other workers hold (SKIP LOCKED); SQLite's BEGIN IMMEDIATE lets one
    writer in at a time, which gives the same guarantee on one machine.
    """
    return list(session.exec(_due(model, now, due_column, pending, limit)))


def claim_due(
    session: Session,
    model: type[Claimable],
    *,
    now: datetime,
    lease: timedelta,
    due_column: Any,
    pending: str,
    limit: int,
) -> list[Claimable]:
    """Rows with status `pending`, due by now and not leased to another worker; leased to us.

    PostgreSQL skips rows another transaction holds (FOR UPDATE SKIP LOCKED); SQLite serializes
    writers (BEGIN IMMEDIATE), which gives the same guarantee on one machine. A worker that dies
    leaves its lease to expire, and the row is claimed again.
    """
    rows = list(session.exec(_due(model, now, due_column, pending, limit)))
    for row in rows:
        row.claimed_until = now + lease
        row.attempts += 1
        session.add(row)
    session.flush()
    return rows


def _due(
    model: type[Claimable], now: datetime, due_column: Any, pending: str, limit: int
) -> SelectOfScalar[Claimable]:
    """Pending rows due by `now` and not leased to anyone, oldest first, skipping locked ones."""
    claimed_until = col(model.claimed_until)
    return (
        select(model)
        .where(col(model.status) == pending, due_column <= now)
        .where(or_(claimed_until.is_(None), claimed_until < now))
        .order_by(due_column, col(model.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
