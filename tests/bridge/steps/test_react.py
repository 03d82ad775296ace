"""The react step: a stored mail sets off notifications; imported history sets off nothing."""

from __future__ import annotations

from sqlmodel import Session, select

from bridge.context import Context
from bridge.inbound_store import IMPORT_PREFIX, store_raw
from bridge.pipeline import process_pending
from chatcore.models import Job
from tests.bridge.pipeline_scene import (
    Scene,
    deliver,
    mail,
    messages,
    scene,
)

__all__ = ["scene"]  # the fixture, imported for these tests


def test_imported_history_notifies_nobody(context: Context) -> None:
    assert store_raw(context, f"{IMPORT_PREFIX}old.mbox:1", mail("bob@example.net"), None, [])
    process_pending(context)
    assert [m.text for m in messages(context)] == ["Hello there"]
    with Session(context.engine) as session:
        assert session.exec(select(Job)).all() == []


def test_a_human_mail_schedules_a_notification(context: Context, scene: Scene) -> None:
    deliver(context, mail("bob@example.net"), "k1")
    with Session(context.engine) as session:
        assert [job.kind for job in session.exec(select(Job))] == ["notify_operator"]
