"""Timed work in the database: scheduled with a key, claimed when due, run once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bridge.claims import lock_next_due
from bridge.context import Context
from bridge.db import transaction
from chatcore.models import Job, JobStatus

log = logging.getLogger(__name__)
JobHandler = Callable[[Session, Context, Job], None]
MAX_ATTEMPTS = 10


def schedule(
    session: Session, *, kind: str, key: str, due_at: datetime, now: datetime, payload: Mapping[str, Any]
) -> Job:
    """A pending job for `key`; when one is already pending it is kept as is (bursts coalesce).

    One statement decides, against the unique index on pending keys: two transactions scheduling
    one key at once leave one pending job (the second waits for the first and inserts nothing)."""
    session.flush()  # jobs changed in hand (cancelled, re-keyed) count before the insert
    connection = session.connection()
    values = {
        "kind": kind,
        "key": key,
        "payload": dict(payload),
        "status": JobStatus.PENDING,
        "due_at": due_at,
        "attempts": 0,
        "last_error": "",
        "created_at": now,
    }
    inserted = connection.execute(_INSERT_PENDING[connection.dialect.name], values).scalar()
    if inserted is None:
        inserted = connection.execute(_PENDING_WITH_KEY, {"key": key}).scalar()
    job = session.get(Job, inserted)
    assert job is not None
    return job


_JOBS = inspect(Job).local_table
_INSERT_PENDING = {
    name: dialect.insert(Job)
    .on_conflict_do_nothing(index_elements=[_JOBS.c.key], index_where=text("status = 'pending'"))
    .returning(_JOBS.c.id)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_PENDING_WITH_KEY = (
    select(Job.id).where(col(Job.key) == bindparam("key"), col(Job.status) == JobStatus.PENDING).limit(1)
)


def cancel(session: Session, key: str) -> None:
    for job in session.exec(select(Job).where(Job.key == key, Job.status == JobStatus.PENDING)):
        job.status = JobStatus.CANCELLED
        session.add(job)


def run_due_jobs(context: Context, handlers: Mapping[str, JobHandler], limit: int = 50) -> int:
    """Run due jobs one by one; each is locked, run and marked done in one transaction."""
    ran = 0
    while ran < limit and _run_next(context, handlers):
        ran += 1
    return ran


def _run_next(context: Context, handlers: Mapping[str, JobHandler]) -> bool:
    taken: list[int | None] = []
    try:
        with transaction(context.engine) as session:
            job = lock_next_due(
                session, Job, now=context.clock.now(), due_column=col(Job.due_at), pending=JobStatus.PENDING
            )
            if job is None:
                return False
            taken.append(job.id)
            handler = handlers.get(job.kind)
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            handler(session, context, job)
            job.status = JobStatus.DONE
            session.add(job)
    except Exception as exc:  # one failing job must not stop the others
        log.exception("job %s failed", taken[0] if taken else "?")
        if not taken:
            raise
        _record_failure(context, taken[0], exc)
    return True


def _record_failure(context: Context, job_id: int | None, exc: Exception) -> None:
    with transaction(context.engine) as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        job.attempts += 1  # the failed run's own changes were rolled back
        job.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        if job.attempts >= MAX_ATTEMPTS:
            job.status = JobStatus.CANCELLED
        else:
            job.due_at = context.clock.now() + timedelta(seconds=10 * 2**job.attempts)
        session.add(job)
