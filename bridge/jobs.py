"""Timed work in the database: scheduled with a key, claimed when due, run once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

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
    """A pending job for `key`; when one is already pending it is kept as is (bursts coalesce)."""
    existing = session.exec(
        select(Job).where(Job.key == key, Job.status == JobStatus.PENDING).order_by(col(Job.id)).limit(1)
    ).first()
    if existing is not None:
        return existing
    job = Job(kind=kind, key=key, payload=dict(payload), due_at=due_at, created_at=now)
    session.add(job)
    return job


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
