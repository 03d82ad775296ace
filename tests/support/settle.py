"""The positive marker for "nothing else happened": the desk has finished everything due soon."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bridge.db import make_engine
from chatcore.models import Job, JobStatus, OutboxMail, OutboxStatus, SpoolItem, SpoolStatus


def pending_work(engine: Engine, horizon: timedelta) -> int:
    """Spool items not processed, jobs due within `horizon` not run, outbox rows due by then not sent."""
    soon = datetime.now(UTC) + horizon
    with Session(engine) as session:
        spool = session.exec(
            select(func.count()).select_from(SpoolItem).where(SpoolItem.status == SpoolStatus.PENDING)
        ).one()
        jobs = session.exec(
            select(func.count())
            .select_from(Job)
            .where(Job.status == JobStatus.PENDING, col(Job.due_at) <= soon)
        ).one()
        outbox = session.exec(
            select(func.count())
            .select_from(OutboxMail)
            .where(OutboxMail.status == OutboxStatus.PENDING)
            .where(or_(col(OutboxMail.next_attempt_at) <= soon, col(OutboxMail.claimed_until).is_not(None)))
        ).one()
    return int(spool) + int(jobs) + int(outbox)


def wait_settled(
    db_url: str, base_dir: str, horizon: timedelta = timedelta(seconds=20), timeout: float = 60.0
) -> None:
    """Wait until every mail received is processed, every job due within `horizon` has run and every
    mail those caused is sent: whatever an action could cause by then has happened, so a test can
    assert that something did not (instead of sleeping and hoping the desk was quick enough)."""
    engine = make_engine(db_url, base_dir)
    try:
        deadline = time.monotonic() + timeout
        while (left := pending_work(engine, horizon)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left == 0, f"the desk still has {left} things to do"
    finally:
        engine.dispose()
