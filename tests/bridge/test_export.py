"""`export` streams: a constant number of queries per batch, in a read transaction the worker writes past."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bridge.db import transaction
from bridge.export import export_rows
from chatcore.models import Tag
from chatcore.services import Desk, NewMessage
from tests.bridge.test_cli import config, run  # noqa: F401  (the config fixture)
from tests.support.clock import ManualClock
from tests.support.factories import add_contact


def seed(engine: Engine, clock: ManualClock, conversations: int, first: int = 0) -> None:
    with Session(engine) as session:
        desk = Desk(session, clock.now())
        for number in range(first, first + conversations):
            email = f"v{number}@example.org"
            contact = add_contact(session, now=clock.now(), name=f"Visitor {number}", email=email)
            conversation, _ = desk.start_conversation(contact, "chat", f"Question {number}")
            desk.tag(conversation, f"t{number % 3}")
            for line in range(4):
                desk.post_visitor_message(conversation, NewMessage(text=f"Line {line} of {number}"))
        session.commit()


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine runs while the test does."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    yield seen
    event.remove(Engine, "before_cursor_execute", count)


def test_export_costs_the_same_queries_for_three_conversations_as_for_thirty(
    config: Path,  # noqa: F811
    engine: Engine,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
    statements: list[str],
) -> None:
    seed(engine, clock, 3)
    statements.clear()
    code, out, _ = run(capsys, "--config", str(config), "export")
    few = len(statements)
    assert code == 0
    assert len(out.splitlines()) == 3

    seed(engine, clock, 27, first=3)
    statements.clear()
    code, out, _ = run(capsys, "--config", str(config), "export")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["subject"] for row in rows] == [f"Question {n}" for n in range(30)]
    assert all(len(row["messages"]) == 4 for row in rows)
    assert len(statements) == few, "queries grow with the conversations exported"


def test_export_rows_in_batches_are_the_same_as_in_one(engine: Engine, clock: ManualClock) -> None:
    seed(engine, clock, 7)
    assert list(export_rows(engine, batch=2)) == list(export_rows(engine, batch=100))


def test_the_worker_writes_while_an_export_is_half_way(engine: Engine, clock: ManualClock) -> None:
    seed(engine, clock, 4)
    rows = export_rows(engine, batch=1)
    first = next(rows)
    wrote = threading.Event()

    def write() -> None:
        with transaction(engine) as session:
            session.add(Tag(name="written-meanwhile"))
        wrote.set()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert wrote.wait(10), "the export holds a write lock"
    rest = list(rows)
    assert [first["subject"], *(r["subject"] for r in rest)] == [f"Question {n}" for n in range(4)]
