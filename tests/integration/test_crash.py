"""Crash safety of the real `relaydesk serve`: killed with SIGKILL again and again while mail arrives by
SMTP and IMAP, it still stores every accepted mail in its conversation exactly once.

Both backends run the full size: 500 SMTP mails (and an IMAP APPEND after every tenth), at least 20
kills, about 40 seconds each. PostgreSQL claims with SKIP LOCKED where SQLite serializes its writers.
"""

from __future__ import annotations

import json
import random
import smtplib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bridge.db import make_engine
from chatcore.models import SpoolItem, SpoolStatus
from tests.support.dovecot import Dovecot
from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink

SEED = 20260407
SMTP_MAILS, KILLS = 500, 20
IMAP_EVERY = 10  # one IMAP APPEND after every tenth SMTP mail


def crash_mail(marker: str, sender: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: support@example.com\r\nSubject: Crash test {marker}\r\n"
        f"Message-ID: <{marker}@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Проверка {marker}, please keep it.\r\n"
    ).encode()


@dataclass
class Sender:
    """Delivers the mails in a thread; a mail counts as sent only once the server answered 250."""

    smtp_port: int
    dovecot: Dovecot
    count: int
    sent: list[str] = field(default_factory=list)
    appended: list[str] = field(default_factory=list)
    retries: int = 0
    error: BaseException | None = None

    def run(self) -> None:
        try:
            for number in range(self.count):
                marker = f"smtp-{number:04d}"
                self._send(marker, crash_mail(marker, f"c{number}@example.net"))
                self.sent.append(marker)
                if number % IMAP_EVERY == 0:
                    marker = f"imap-{number:04d}"
                    self.dovecot.append("support", "INBOX", crash_mail(marker, f"i{number}@example.net"))
                    self.appended.append(marker)
        except BaseException as exc:  # surfaced by the test
            self.error = exc

    def _send(self, marker: str, raw: bytes) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=5) as client:
                    client.sendmail(f"{marker}@example.net", ["support@example.com"], raw)
                return
            except smtplib.SMTPResponseException as exc:
                if not 400 <= exc.smtp_code < 500:
                    raise
            except (OSError, smtplib.SMTPServerDisconnected):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{marker} was not accepted within a minute")
            self.retries += 1
            time.sleep(0.05)


@pytest.fixture
def crash_desk(tmp_path: Path, db_url: str) -> Iterator[tuple[RelaydeskProcess, Dovecot, Engine]]:
    with Dovecot() as dovecot:
        dovecot.add_user("support", "secret")
        sink = SmtpSink().start()
        process = RelaydeskProcess(tmp_path, db_url, sink.port)
        with process.config.open("a", encoding="utf-8") as config:
            config.write(
                "\n[[inbound.imap]]\n"
                f'host = "127.0.0.1"\nport = {dovecot.port}\ntls = false\n'
                'username = "support"\npassword = "secret"\nprocessed_folder = "Processed"\n'
            )
        engine = make_engine(db_url, str(tmp_path))
        process.start()
        yield process, dovecot, engine
        process.stop()
        engine.dispose()
        sink.stop()


@pytest.mark.slow
@pytest.mark.timeout(600)  # ~40 s on an idle machine; 20 restarts of serve take far longer on a busy one
def test_sigkill_loses_and_doubles_nothing(crash_desk: tuple[RelaydeskProcess, Dovecot, Engine]) -> None:
    desk, dovecot, engine = crash_desk
    sender = Sender(desk.smtp_port, dovecot, SMTP_MAILS)
    thread = threading.Thread(target=sender.run, daemon=True)
    started = time.monotonic()
    thread.start()

    rng, kills = random.Random(SEED), 0
    while thread.is_alive() or kills < KILLS:
        time.sleep(rng.uniform(0.1, 0.8))
        desk.kill()
        kills += 1
        time.sleep(rng.uniform(0.0, 0.3))  # the sender meets refused connections meanwhile
        start_again(desk)
    thread.join(timeout=120)
    assert sender.error is None, f"the sender failed: {sender.error!r}"
    assert len(sender.sent) == SMTP_MAILS

    # A killed worker's lock dies with its connection, so what it held is taken again at once.
    wait_for_drained(engine, dovecot)
    expected = sender.sent + sender.appended
    markers = Counter(markers_in_export(desk))
    settle = time.monotonic() + 30  # files left in the SMTP spool folder are moved in by the worker
    while any(markers[m] == 0 for m in expected) and time.monotonic() < settle:
        time.sleep(0.5)
        markers = Counter(markers_in_export(desk))
    missing = [m for m in expected if markers[m] == 0]
    doubled = {m: n for m, n in markers.items() if n > 1}
    assert missing == [], f"lost after a 250 or an APPEND: {missing}"
    assert doubled == {}, f"stored more than once: {doubled}"
    assert set(markers) == set(expected)
    quarantined = desk.cli("quarantine", "list").stdout
    assert quarantined == "", f"nothing should be quarantined:\n{quarantined}"
    print(
        f"\n{SMTP_MAILS} SMTP + {len(sender.appended)} IMAP mails, {kills} kills, "
        f"{sender.retries} SMTP retries, {time.monotonic() - started:.1f}s"
    )


def start_again(desk: RelaydeskProcess) -> None:
    """Start; once more if a port was briefly taken. Clients retrying a closed loopback port (the
    sender, the readiness probe) can be given that very port as their own and connect to themselves
    (TCP self-connect); the port is free again when that client gives up a second later."""
    try:
        desk.start()
    except AssertionError as exc:
        if "Errno 98" not in str(exc):
            raise
        desk.kill()
        time.sleep(1.5)
        desk.start()


def wait_for_drained(engine: Engine, dovecot: Dovecot, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _pending(engine) == 0 and _inbox_empty(dovecot):
            time.sleep(1.0)  # files still in the SMTP spool folder are moved once a second or sooner
            if _pending(engine) == 0:
                return
        time.sleep(0.5)
    raise AssertionError(f"the spool did not drain: {_pending(engine)} pending")


def _pending(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(func.count()).where(col(SpoolItem.status) == SpoolStatus.PENDING)
        return int(session.exec(query).one())


def _inbox_empty(dovecot: Dovecot) -> bool:
    with dovecot.client("support") as client:
        client.select_folder("INBOX")
        return client.search("ALL") == []


def markers_in_export(desk: RelaydeskProcess) -> list[str]:
    done = desk.cli("export")
    assert done.returncode == 0, done.stderr
    found = []
    for line in done.stdout.splitlines():
        for message in json.loads(line)["messages"]:
            text = str(message["text"])
            found.extend(word.rstrip(",") for word in text.split() if word.startswith(("smtp-", "imap-")))
    return found
