"""The relay goes down while a visitor writes: `relaydesk serve` keeps the mail and sends it later."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bridge.db import make_engine
from chatcore.models import OutboxMail, OutboxStatus
from tests.support.process import RelaydeskProcess
from tests.support.settle import wait_settled
from tests.support.sink import SmtpSink


@pytest.fixture
def relay() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def desk(tmp_path: Path, db_url: str, relay: SmtpSink) -> Iterator[RelaydeskProcess]:
    process = RelaydeskProcess(
        tmp_path,
        db_url,
        relay.port,
        notifications={"operator_email_delay": "0s"},
        outbound={"retry_first": "1s", "timeout": "5s"},
    )
    added = process.cli("operator", "add", "olga@example.com", "--name", "Olga", "--no-email")
    assert added.returncode == 0, added.stderr
    process.start()
    yield process
    assert process.stop() == 0


@pytest.fixture
def engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    made = make_engine(db_url, str(tmp_path))
    yield made
    made.dispose()


def outbox(engine: Engine) -> list[OutboxMail]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMail)))


def wait_for(found: Callable[[], list[OutboxMail]], timeout: float = 20.0) -> list[OutboxMail]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = found()
        if rows:
            return rows
        time.sleep(0.1)
    raise AssertionError("no such outbox row in time")


def test_mail_waits_out_a_relay_outage(
    desk: RelaydeskProcess, relay: SmtpSink, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    relay.stop()  # the relay is down from here on
    chat = httpx.Client(base_url=desk.base_url)
    posted = chat.post(
        "/api/widget/messages",
        json={"text": "Is anyone there? Есть кто?", "name": "Ann Lee"},
    )
    assert posted.status_code == 201

    # The notification is tried, fails, and stays pending with the reason, to be tried again.
    [waiting] = wait_for(lambda: [r for r in outbox(engine) if r.last_error and r.attempts >= 1])
    assert waiting.status == OutboxStatus.PENDING
    assert waiting.recipient == "olga@example.com"
    assert "refused" in waiting.last_error.lower() or "connect" in waiting.last_error.lower()
    [exported] = _export(desk)
    [message] = exported["messages"]
    assert message["delivery"]["olga@example.com"]["status"] == "pending"
    assert message["delivery"]["olga@example.com"]["error"] == waiting.last_error

    # The relay comes back on the same port: the mail arrives without anyone doing anything.
    back = SmtpSink(port=relay.port).start()
    try:
        [arrived] = back.wait_for(1, "olga@example.com", timeout=20)
        assert "Is anyone there? Есть кто?" in arrived.body()
        [sent] = wait_for(lambda: [r for r in outbox(engine) if r.status == OutboxStatus.SENT])
        assert sent.id == waiting.id
        assert sent.last_error == ""
        wait_settled(db_url, str(tmp_path))  # nothing left to send: a second copy would have come by now
        assert len(back.mails()) == 1, "sent once, not once per attempt"
        [exported] = _export(desk)
        assert exported["messages"][0]["delivery"]["olga@example.com"]["status"] == "sent"
    finally:
        back.stop()


def _export(desk: RelaydeskProcess) -> list[dict[str, Any]]:
    done = desk.cli("export")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]
