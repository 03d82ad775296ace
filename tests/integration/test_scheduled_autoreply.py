"""Timed autoreplies against the real process, moved through time by RELAYDESK_CLOCK_OFFSET_FILE:
they survive a restart, stand down when an operator answered, and two workers answer once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_autoreply_loop import send
from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink

NUDGE = (
    "\n[[autoreply]]\n"
    'name = "nudge"\nwhen = "always"\ntrigger = "no_operator_reply"\nafter = "5m"\n'
    'text = "We have not forgotten you."\n'
)
FACING = (
    "\n[[autoreply]]\n"
    'name = "thanks"\nwhen = "always"\ntrigger = "visitor_message"\ncooldown = "12h"\n'
    'text = "Thanks, we got your message."\n'
)


class Setup:
    def __init__(self, tmp_path: Path, db_url: str, rules: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = tmp_path / "clock-offset"
        self.offset.write_text("0", encoding="ascii")
        monkeypatch.setenv("RELAYDESK_CLOCK_OFFSET_FILE", str(self.offset))
        self.sink = SmtpSink().start()
        self.desk = RelaydeskProcess(tmp_path, db_url, self.sink.port)
        with self.desk.config.open("a", encoding="utf-8") as config:
            config.write(rules)
        added = self.desk.cli("operator", "add", "olga@example.com", "--name", "Olga", "--no-email")
        assert added.returncode == 0, added.stderr

    def travel(self, seconds: float) -> None:
        self.offset.write_text(str(seconds), encoding="ascii")

    def conversations(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.desk.cli("export").stdout.splitlines()]

    def wait_for_conversations(self, count: int, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while len(self.conversations()) < count:
            assert time.monotonic() < deadline, "the mail never became a conversation"
            time.sleep(0.2)

    def authors(self, index: int = 0) -> list[str]:
        return [str(m["author_kind"]) for m in self.conversations()[index]["messages"]]  # type: ignore[index]


@pytest.fixture
def nudge(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    setup = Setup(tmp_path, db_url, NUDGE, monkeypatch)
    yield setup
    setup.desk.stop()
    setup.sink.stop()


def test_no_reply_check_survives_a_restart_and_fires_once(nudge: Setup) -> None:
    nudge.desk.start()
    send(nudge.desk.smtp_port, "Dana <dana@example.net>", "Waiting")
    nudge.wait_for_conversations(1)
    assert nudge.desk.stop() == 0  # restart in the middle of the five minutes

    nudge.travel(6 * 60)
    nudge.desk.start()
    answer = nudge.sink.wait_for(1, "dana@example.net")[0]
    assert "We have not forgotten you." in answer.body()
    assert answer.message["Auto-Submitted"] == "auto-replied"
    time.sleep(3)  # a second answer would come within a few ticks
    assert len([m for m in nudge.sink.mails() if "dana@example.net" in m.recipients]) == 1
    assert nudge.authors() == ["visitor", "autoreply"]


def test_no_reply_check_stands_down_when_an_operator_answered(nudge: Setup) -> None:
    nudge.desk.start()
    send(nudge.desk.smtp_port, "erin@example.net", "Waiting")
    notification = nudge.sink.wait_for(1, "olga@example.com")[0]
    reply_to = notification.message["Reply-To"].addresses[0].addr_spec
    send(nudge.desk.smtp_port, "olga@example.com", "Re: Waiting", to=reply_to)
    deadline = time.monotonic() + 15
    while nudge.authors() != ["visitor", "operator"]:
        assert time.monotonic() < deadline, nudge.authors()
        time.sleep(0.2)

    nudge.travel(6 * 60)
    time.sleep(4)
    assert nudge.authors() == ["visitor", "operator"]
    assert not [m for m in nudge.sink.mails() if "forgotten" in m.body()]


def test_two_workers_answer_once(nudge: Setup) -> None:
    nudge.desk.start()
    (nudge.desk.workdir / "second").mkdir()
    second = RelaydeskProcess(nudge.desk.workdir / "second", "", nudge.sink.port)
    second.config.write_text(nudge.desk.config.read_text(encoding="utf-8"), encoding="utf-8")
    second.start("--role", "worker")
    try:
        send(nudge.desk.smtp_port, "Fay <fay@example.net>", "Waiting")
        nudge.wait_for_conversations(1)
        nudge.travel(6 * 60)
        nudge.sink.wait_for(1, "fay@example.net")
        time.sleep(4)
        assert len([m for m in nudge.sink.mails() if "fay@example.net" in m.recipients]) == 1
        assert nudge.authors() == ["visitor", "autoreply"]
    finally:
        assert second.stop() == 0


@pytest.fixture
def facing(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    setup = Setup(tmp_path, db_url, FACING, monkeypatch)
    setup.desk.start()
    yield setup
    setup.desk.stop()
    setup.sink.stop()


def test_two_autoresponders_facing_each_other_exchange_one_message_each(facing: Setup) -> None:
    """The robot answers everything, with no Auto-Submitted header: the cooldown stops us after one."""
    send(facing.desk.smtp_port, "robot@example.net", "Ticket received")
    robot_sent = 1
    for _ in range(3):
        ours = [m for m in facing.sink.mails() if "robot@example.net" in m.recipients]
        if len(ours) >= robot_sent:
            reply_to = ours[-1].message["Reply-To"].addresses[0].addr_spec
            send(facing.desk.smtp_port, "robot@example.net", "Re: Ticket received", to=reply_to)
            robot_sent += 1
        time.sleep(2)
    ours = [m for m in facing.sink.mails() if "robot@example.net" in m.recipients]
    assert len(ours) == 1, "we answered the robot more than once"
    assert robot_sent == 2
