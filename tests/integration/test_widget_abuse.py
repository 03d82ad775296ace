"""Widget abuse against the real `relaydesk serve`: a script opening chats gets 429 after a few, the
operators get one email for the burst, and a planted visitor cookie reads nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from bridge.db import make_engine
from chatcore.models import Job, JobStatus
from tests.integration.test_loop import wait_until
from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink
from webui.widget import NEW_CHATS_PER_ADDRESS


@pytest.fixture
def desk(tmp_path: Path, db_url: str, sink: SmtpSink) -> Iterator[RelaydeskProcess]:
    process = RelaydeskProcess(tmp_path, db_url, sink.port, notifications={"operator_email_delay": "3s"})
    added = process.cli("operator", "add", "olga@example.com", "--name", "Olga", "--no-email")
    assert added.returncode == 0, added.stderr
    process.start()
    yield process
    assert process.stop() == 0


def pending_notifications(db_url: str, workdir: Path) -> int:
    engine = make_engine(db_url, str(workdir))
    try:
        with Session(engine) as session:
            query = select(Job).where(Job.kind == "notify_operator", Job.status == JobStatus.PENDING)
            return len(session.exec(query).all())
    finally:
        engine.dispose()


def test_a_script_opening_chats_is_stopped_and_mailed_about_once(
    desk: RelaydeskProcess, sink: SmtpSink, tmp_path: Path, db_url: str
) -> None:
    answers = []
    for number in range(NEW_CHATS_PER_ADDRESS.burst + 5):
        with httpx.Client(base_url=desk.base_url) as script:  # no cookie: a new chat each time
            answers.append(script.post("/api/widget/messages", json={"text": f"Buy pills {number}"}))
    statuses = [answer.status_code for answer in answers]
    assert statuses == [201] * NEW_CHATS_PER_ADDRESS.burst + [429] * 5
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert answers[-1].json()["error"]

    [digest] = sink.wait_for(1, "olga@example.com", timeout=30)
    wait_until(lambda: pending_notifications(db_url, tmp_path) == 0, timeout=30)
    assert len([m for m in sink.mails() if "olga@example.com" in m.recipients]) == 1
    assert digest.message["Subject"] == f"New messages in {NEW_CHATS_PER_ADDRESS.burst} conversations"
    assert all(f"Buy pills {n}" in digest.body() for n in range(NEW_CHATS_PER_ADDRESS.burst))


def test_a_planted_visitor_cookie_reads_nothing(desk: RelaydeskProcess) -> None:
    planted = "chosen-by-the-attacker-000000"
    with httpx.Client(base_url=desk.base_url, cookies={"rd_visitor": planted}) as victim:
        posted = victim.post("/api/widget/messages", json={"text": "My card is 4111"})
        assert posted.status_code == 201
        assert posted.json()["message"]["text"] == "My card is 4111"
        assert not posted.cookies["rd_visitor"].startswith(planted)
    with httpx.Client(base_url=desk.base_url, cookies={"rd_visitor": planted}) as attacker:
        assert attacker.get("/api/widget/messages").json() == {"messages": [], "conversation_id": None}
