"""Autoreplies through the real `relaydesk serve`: once to a person, never to a robot."""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.process import RelaydeskProcess
from tests.support.settle import wait_settled
from tests.support.sink import SmtpSink

ALWAYS_CLOSED = (
    '\n[hours]\ntimezone = "Europe/Moscow"\n'
    "\n[[autoreply]]\n"
    'name = "closed"\nwhen = "outside_hours"\nchannels = ["chat", "email"]\n'
    'trigger = "new_conversation"\ncooldown = "12h"\n'
    'text = { en = "Thanks, {contact_name}! We are closed right now.", ru = "Спасибо! Мы сейчас закрыты." }\n'
)


@pytest.fixture
def desk(tmp_path: Path, db_url: str) -> Iterator[tuple[RelaydeskProcess, SmtpSink]]:
    sink = SmtpSink().start()
    process = RelaydeskProcess(tmp_path, db_url, sink.port)
    with process.config.open("a", encoding="utf-8") as config:
        config.write(ALWAYS_CLOSED)
    process.start()
    yield process, sink
    assert process.stop() == 0
    sink.stop()


def send(port: int, sender: str, subject: str, to: str = "support@example.com", **headers: str) -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{time.time_ns()}@example.net>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Hello?")
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.send_message(message)


def conversations(desk: RelaydeskProcess) -> list[dict[str, object]]:
    return [json.loads(line) for line in desk.cli("export").stdout.splitlines()]


def test_outside_hours_email_gets_one_autoreply_and_robots_get_none(
    desk: tuple[RelaydeskProcess, SmtpSink], db_url: str, tmp_path: Path
) -> None:
    process, sink = desk
    send(process.smtp_port, "Dana <dana@example.net>", "Question")
    answer = sink.wait_for(1, "dana@example.net")[0]
    assert answer.message["Auto-Submitted"] == "auto-replied"
    assert "Thanks, Dana! We are closed right now." in answer.body()

    send(process.smtp_port, "robot@example.net", "Out of office", Auto_Submitted="auto-replied")
    deadline = time.monotonic() + 20
    while len(conversations(process)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(conversations(process)) == 2, "the robot's mail was not posted"
    wait_settled(db_url, str(tmp_path))  # and everything it caused (an autoreply?) is sent
    assert [m for m in sink.mails() if "robot@example.net" in m.recipients] == []

    first, robot = conversations(process)
    assert [m["author_kind"] for m in first["messages"]] == ["visitor", "autoreply"]  # type: ignore[index]
    assert [m["author_kind"] for m in robot["messages"]] == ["visitor"]  # type: ignore[index]
