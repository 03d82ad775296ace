"""SMTP over loopback into the real spool: 250 only for mail the spool holds, 451 when it cannot."""

from __future__ import annotations

import asyncio
import smtplib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from inbound.smtp_server import ListenConfig, Mailbox, SpoolingHandler, start_server
from inbound.spool import SpooledMail, SpoolReader, SpoolWriter

MAIL = b"From: ann@example.net\r\nTo: support@example.com\r\nSubject: Hi\r\n\r\nHello there\r\n"


@pytest.fixture
def smtp_port(tmp_path: Path) -> Iterator[int]:
    loop = asyncio.new_event_loop()
    writer = SpoolWriter(tmp_path / "spool")
    handler = SpoolingHandler(writer, Mailbox("support", frozenset({"example.com"})))
    server = loop.run_until_complete(start_server(handler, ListenConfig("127.0.0.1", 0, False, 1024 * 1024)))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield server.sockets[0].getsockname()[1]
    loop.call_soon_threadsafe(server.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    writer.close()


def send(port: int, raw: bytes = MAIL) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("ann@example.net", ["support+abc@example.com"], raw)


def spooled(tmp_path: Path) -> list[SpooledMail]:
    stored: list[SpooledMail] = []
    SpoolReader(tmp_path / "spool").drain(stored.append)
    return stored


def test_every_accepted_mail_is_in_the_spool_with_its_envelope(tmp_path: Path, smtp_port: int) -> None:
    for _ in range(3):
        send(smtp_port)

    stored = spooled(tmp_path)
    assert [m.raw for m in stored] == [MAIL] * 3
    assert stored[0].envelope_from == "ann@example.net"
    assert stored[0].envelope_to == ("support+abc@example.com",)


def test_a_spool_that_cannot_write_answers_451_and_recovers(tmp_path: Path, smtp_port: int) -> None:
    spool_tmp = tmp_path / "spool" / "tmp"
    spool_tmp.rmdir()
    spool_tmp.write_text("not a folder")  # the writer cannot create its segment

    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(smtp_port)
    assert refused.value.smtp_code == 451
    assert spooled(tmp_path) == []

    spool_tmp.unlink()
    spool_tmp.mkdir()
    send(smtp_port)
    assert [m.raw for m in spooled(tmp_path)] == [MAIL]
