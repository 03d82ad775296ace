"""Timed work in the database: scheduled with a key, claimed when due, run once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bridge.claims import claim_due
from bridge.context import Context
from bridge.db import transaction
from chatcore.models import Job, JobStatus

log = logging.getLogger(__name__)
JobHandler = Callable[[Session, Context, Job], None]
LEASE = timedelta(minutes=2)
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
    """Claim due jobs and run each in its own transaction, its effects committed with "done"."""
    now = context.clock.now()
    with transaction(context.engine) as session:
        claimed = claim_due(
            session,
            Job,
            now=now,
            lease=LEASE,
            due_column=col(Job.due_at),
            pending=JobStatus.PENDING,
            limit=limit,
        )
        ids = [job.id for job in claimed]
    for job_id in ids:
        _run_one(context, handlers, job_id)
    return len(ids)


def _run_one(context: Context, handlers: Mapping[str, JobHandler], job_id: int | None) -> None:
    try:
        with transaction(context.engine) as session:
            job = session.get(Job, job_id)
            if job is None or job.status != JobStatus.PENDING:
                return
            handler = handlers.get(job.kind)
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            handler(session, context, job)
            job.status = JobStatus.DONE
            job.claimed_until = None
            session.add(job)
    except Exception as exc:  # one failing job must not stop the others
        log.exception("job %s failed", job_id)
        _record_failure(context, job_id, exc)


def _record_failure(context: Context, job_id: int | None, exc: Exception) -> None:
    with transaction(context.engine) as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        job.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        job.claimed_until = None
        if job.attempts >= MAX_ATTEMPTS:
            job.status = JobStatus.CANCELLED
        else:
            job.due_at = context.clock.now() + timedelta(seconds=10 * 2**job.attempts)
        session.add(job)
