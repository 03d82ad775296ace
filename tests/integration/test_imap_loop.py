"""IMAP into the real `relaydesk serve`: mail appended on a real Dovecot lands in a conversation."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import Dovecot
from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink

MAIL = (
    "From: Vera <vera@example.net>\r\n"
    "To: support@example.com\r\n"
    "Subject: =?utf-8?b?0JfQsNC60LDQtyDihJYgNDI=?=\r\n"
    "Message-ID: <imap-1@example.net>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Где мой заказ?\r\n"
).encode()


@pytest.fixture
def imap_desk(tmp_path: Path, db_url: str) -> Iterator[tuple[RelaydeskProcess, Dovecot]]:
    with Dovecot() as dovecot:
        dovecot.add_user("support", "secret")
        sink = SmtpSink().start()
        process = RelaydeskProcess(
            tmp_path,
            db_url,
            sink.port,
            inbound__smtp={"enabled": False},
        )
        with process.config.open("a", encoding="utf-8") as config:
            config.write(
                "\n[[inbound.imap]]\n"
                f'host = "127.0.0.1"\nport = {dovecot.port}\ntls = false\n'
                'username = "support"\npassword = "secret"\nprocessed_folder = "Processed"\n'
            )
        process.start()
        yield process, dovecot
        assert process.stop() == 0
        sink.stop()


def test_mail_on_imap_becomes_a_conversation(imap_desk: tuple[RelaydeskProcess, Dovecot]) -> None:
    desk, dovecot = imap_desk
    time.sleep(1.0)  # let the fetcher reach IDLE, so the mail arrives as a push
    appended = time.monotonic()
    dovecot.append("support", "INBOX", MAIL)
    deadline = appended + 15
    conversations: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        done = desk.cli("export")
        conversations = [json.loads(line) for line in done.stdout.splitlines()]
        if conversations:
            break
        time.sleep(0.2)
    assert conversations, "the IMAP mail never reached a conversation"
    assert conversations[0]["subject"] == "Заказ № 42"
    assert conversations[0]["messages"][0]["text"] == "Где мой заказ?"  # type: ignore[index]
    with dovecot.client("support") as client:
        client.select_folder("INBOX")
        assert client.search("ALL") == [], "stored mail is moved out of INBOX"
        client.select_folder("Processed")
        assert len(client.search("ALL")) == 1
