"""Two transactions scheduling one job key at once leave one pending job."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bridge import jobs
from bridge.db import is_postgres
from chatcore.models import Job, JobStatus
from tests.support.clock import ManualClock


def test_two_transactions_at_once_leave_one_pending_job(engine: Engine) -> None:
    now = ManualClock().now()
    both_read = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def schedule_in_own_transaction() -> None:
        try:
            with Session(engine) as session:
                if is_postgres(engine):  # SQLite lets one writer in at a time: no overlap to stage
                    session.exec(select(Job).where(Job.key == "notify:1:1")).all()
                    both_read.wait()
                jobs.schedule(
                    session, kind="notify", key="notify:1:1", due_at=now + timedelta(minutes=2), now=now,
                    payload={"conversation_id": 1},
                )
                session.commit()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    workers = [threading.Thread(target=schedule_in_own_transaction) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    with Session(engine) as session:
        pending = session.exec(select(Job).where(Job.status == JobStatus.PENDING)).all()
    assert [job.key for job in pending] == ["notify:1:1"]


def test_a_key_whose_job_is_done_can_be_scheduled_again(engine: Engine) -> None:
    now = ManualClock().now()
    with Session(engine) as session:
        first = jobs.schedule(session, kind="notify", key="k", due_at=now, now=now, payload={})
        again = jobs.schedule(session, kind="notify", key="k", due_at=now, now=now, payload={})
        assert again.id == first.id
        first.status = JobStatus.DONE
        session.add(first)
        later = jobs.schedule(session, kind="notify", key="k", due_at=now, now=now, payload={})
        assert later.id != first.id
        session.commit()
