"""Two workers and a relay slow enough to outlast a lease: every mail is sent once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bridge.app import build_context, build_transport
from bridge.context import Context
from bridge.delivery import deliver_due
from chatcore.models import OutboxMail, OutboxStatus
from outbound.outbox import enqueue
from tests.conftest import make_settings
from tests.support.sink import SmtpSink

LEASE = timedelta(seconds=2)
MAILS = 6


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def slow_relay() -> Iterator[SmtpSink]:
    relay = SmtpSink(delay=1).start()  # one second before it answers each mail
    yield relay
    relay.stop()


@pytest.fixture
def desk(tmp_path: Path, db_url: str, engine: Engine, slow_relay: SmtpSink) -> Context:
    settings = make_settings(
        tmp_path, db_url, outbound={"transport": "smtp", "host": "127.0.0.1", "port": slow_relay.port}
    )
    return build_context(settings, clock=WallClock(), engine=engine)


def queue_mails(context: Context) -> None:
    now = context.clock.now()
    with Session(context.engine) as session:
        for number in range(MAILS):
            message_id = f"lease-{number}@example.com"
            raw = f"Message-ID: <{message_id}>\r\nSubject: {number}\r\n\r\nHello\r\n".encode()
            enqueue(
                session, now=now, retry_for=timedelta(days=1), recipient=f"r{number}@example.org",
                envelope_from="support@example.com", raw=raw, email_message_id=message_id,
                kind="test", conversation_id=None, message_ids=[],
            )
        session.commit()


def test_a_slow_relay_and_two_workers_send_every_mail_once(desk: Context, slow_relay: SmtpSink) -> None:
    queue_mails(desk)
    sent: list[int] = []
    errors: list[BaseException] = []

    def worker(second: bool) -> None:
        if second:  # starts once the first worker's lease on the rows it has not reached has run out
            threading.Event().wait(LEASE.total_seconds() + 0.5)
        transport = build_transport(desk.settings)
        try:
            while tried := deliver_due(desk, transport, lease=LEASE):
                sent.append(tried)
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            transport.close()

    workers = [threading.Thread(target=worker, args=(n == 1,)) for n in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=120)

    assert errors == []
    mails = slow_relay.wait_for(MAILS)
    per_id = Counter(str(mail.message["Message-ID"]) for mail in mails)
    assert [count for count in per_id.values() if count > 1] == [], f"sent twice: {per_id}"
    assert len(per_id) == MAILS
    with Session(desk.engine) as session:
        statuses = session.exec(select(OutboxMail.status)).all()
    assert list(statuses) == [OutboxStatus.SENT] * MAILS
