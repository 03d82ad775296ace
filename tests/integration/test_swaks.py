"""swaks and smtplib against the real `relaydesk serve`: plain SMTP, STARTTLS and LMTP, each mail
followed into its conversation (and the operator's notification)."""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink
from tests.support.swaks import ACCEPTED, swaks
from tests.support.tls import self_signed

SUPPORT = "support@example.com"
RUSSIAN = "Добрый день! Заказ №42 так и не пришёл. Ёлки-палки, «где он»?"
StartDesk = Callable[..., RelaydeskProcess]


@pytest.fixture
def start_desk(tmp_path: Path, db_url: str, sink: SmtpSink) -> Iterator[StartDesk]:
    started: list[RelaydeskProcess] = []

    def start(**overrides: dict[str, Any]) -> RelaydeskProcess:
        process = RelaydeskProcess(tmp_path, db_url, sink.port, **overrides)
        added = process.cli("operator", "add", "olga@example.com", "--name", "Olga", "--no-email")
        assert added.returncode == 0, added.stderr
        started.append(process.start())
        return process

    yield start
    for process in started:
        assert process.stop() == 0


def conversations(desk: RelaydeskProcess) -> list[dict[str, Any]]:
    done = desk.cli("export")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def wait_for_messages(desk: RelaydeskProcess, count: int, timeout: float = 20) -> list[dict[str, Any]]:
    """The conversations once `count` messages are stored in them all together."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = conversations(desk)
        if sum(len(c["messages"]) for c in found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} messages stored: {conversations(desk)}")


def russian_mail(sender: str, subject: str = "Где заказ?") -> bytes:
    return (
        f"From: Анна Петрова <{sender}>\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{time.time_ns()}@example.org>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{RUSSIAN}\r\n"
    ).encode()


def data_file(directory: Path, raw: bytes) -> str:
    """The mail in a file, as swaks' `--data @FILE` wants it."""
    path = directory / "mail.eml"
    path.write_bytes(raw)
    return f"@{path}"


def test_swaks_mail_becomes_a_conversation_and_the_operator_hears_of_it(
    start_desk: StartDesk, sink: SmtpSink, tmp_path: Path
) -> None:
    desk = start_desk()
    eml = data_file(tmp_path, russian_mail("anna@example.org"))
    run = swaks(desk.smtp_port, "--from", "anna@example.org", "--to", SUPPORT, "--data", eml)
    assert run.code == ACCEPTED, run.transcript
    assert len(run.queued_keys()) == 1

    [conversation] = wait_for_messages(desk, 1)
    assert conversation["channel"] == "email"
    assert conversation["subject"] == "Где заказ?"
    assert conversation["contact"]["email"] == "anna@example.org"
    assert conversation["contact"]["name"] == "Анна Петрова"
    assert [(m["author_kind"], m["text"]) for m in conversation["messages"]] == [("visitor", RUSSIAN)]
    [notification] = sink.wait_for(1, "olga@example.com")
    assert RUSSIAN in notification.body()

    # An internationalised sender address (SMTPUTF8) lands as that contact's address.
    with smtplib.SMTP("127.0.0.1", desk.smtp_port) as client:
        client.sendmail(
            "анна@пример.рф",
            ["support@example.com"],
            russian_mail("анна@пример.рф", "Ещё вопрос"),
            mail_options=["SMTPUTF8"],
        )
    second = wait_for_messages(desk, 2)[1]
    assert second["contact"]["email"] == "анна@пример.рф"
    assert [m["text"] for m in second["messages"]] == [RUSSIAN]


def test_swaks_starttls_with_a_self_signed_certificate_lands(
    start_desk: StartDesk, tmp_path: Path
) -> None:
    made = self_signed(tmp_path / "tls")
    desk = start_desk(inbound__smtp={"tls_cert": str(made.cert), "tls_key": str(made.key)})
    eml = data_file(tmp_path, russian_mail("anna@example.org"))
    run = swaks(
        desk.smtp_port, "--tls", "--from", "anna@example.org", "--to", SUPPORT, "--data", eml
    )

    assert run.code == ACCEPTED, run.transcript
    assert "=== TLS started with cipher TLSv1." in run.transcript
    assert "<~  250 2.0.0 Queued as" in run.transcript
    [conversation] = wait_for_messages(desk, 1)
    assert [m["text"] for m in conversation["messages"]] == [RUSSIAN]


def test_swaks_lmtp_two_recipients_one_message(start_desk: StartDesk, tmp_path: Path) -> None:
    desk = start_desk(inbound__smtp={"lmtp": True})
    eml = data_file(tmp_path, russian_mail("anna@example.org"))
    recipients = f"{SUPPORT},support+sales@example.com"
    run = swaks(
        desk.smtp_port, "--protocol", "LMTP", "--from", "anna@example.org", "--to", recipients, "--data", eml
    )

    assert run.code == ACCEPTED, run.transcript
    key = run.queued_keys()[0]
    assert run.replies()[-3:-1] == [
        f"250 2.0.0 Queued as {key} for <support@example.com>",
        f"250 2.0.0 Queued as {key} for <support+sales@example.com>",
    ]
    [conversation] = wait_for_messages(desk, 1)
    time.sleep(1)  # a second copy would have been stored by now
    assert [m["text"] for m in conversations(desk)[0]["messages"]] == [RUSSIAN]
    assert conversation["contact"]["email"] == "anna@example.org"
