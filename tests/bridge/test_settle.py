"""The marker integration tests wait for before asserting that nothing else happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from chatcore.models import Job, JobStatus, SpoolItem, SpoolStatus
from tests.support.settle import pending_work

SOON = timedelta(seconds=20)


def test_a_desk_with_mail_to_process_or_a_job_due_soon_is_not_settled(engine: Engine) -> None:
    now = datetime.now(UTC)
    assert pending_work(engine, SOON) == 0
    with Session(engine) as session:
        later = now + timedelta(hours=2)
        session.add(Job(kind="notify_visitor", key="notify_visitor:1", due_at=later, created_at=now))
        session.commit()
    assert pending_work(engine, SOON) == 0, "a job due in hours is not waited for"
    with Session(engine) as session:
        in_3s = now + timedelta(seconds=3)
        soon = Job(kind="notify_visitor", key="notify_visitor:2", due_at=in_3s, created_at=now)
        item = SpoolItem(source_key="smtp:x:0", raw=b"x", sha256="0", received_at=now)
        session.add_all([soon, item])
        session.commit()
        item_id, soon_id = item.id, soon.id
    assert pending_work(engine, SOON) == 2
    with Session(engine) as session:
        stored = session.get(SpoolItem, item_id)
        assert stored is not None
        stored.status = SpoolStatus.DONE
        session.add(stored)
        due = session.get(Job, soon_id)
        assert due is not None
        due.status = JobStatus.DONE
        session.add(due)
        session.commit()
    assert pending_work(engine, SOON) == 0
