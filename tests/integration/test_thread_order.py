"""Threads stay whole when their mails arrive out of order: concurrent SMTP sessions against the real
`relaydesk serve`, and threads whose replies come before their parents."""

from __future__ import annotations

import random
import smtplib
import threading
import time
from collections.abc import Iterator, Sequence
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from bridge.db import make_engine
from chatcore.models import Conversation, Message, SpoolItem, SpoolStatus
from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink

DESK = "support@example.com"


@pytest.fixture
def desk(tmp_path: Path, db_url: str, sink: SmtpSink) -> Iterator[RelaydeskProcess]:
    process = RelaydeskProcess(tmp_path, db_url, sink.port)
    process.start()
    yield process
    assert process.stop() == 0


def thread_mail(thread: str, index: int, sender: str, *, full_references: bool = True) -> EmailMessage:
    """Mail `index` of a thread: it answers mail `index - 1` and (by default) names every earlier one."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = DESK
    message["Subject"] = f"{'Re: ' if index else ''}Order {thread}"
    message["Message-ID"] = f"<{mail_id(thread, index)}>"
    if index:
        message["In-Reply-To"] = f"<{mail_id(thread, index - 1)}>"
        earlier = range(index) if full_references else [index - 1]
        message["References"] = " ".join(f"<{mail_id(thread, n)}>" for n in earlier)
    message.set_content(f"Mail {index} of thread {thread}.")
    return message


def mail_id(thread: str, index: int) -> str:
    """As stored (without angle brackets)."""
    return f"{thread}.{index}@visitors.test"


def send_over_one_connection(port: int, mails: Sequence[EmailMessage]) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        for mail in mails:
            client.send_message(mail)


def wait_processed(db_url: str, workdir: Path, expected: int, timeout: float = 120.0) -> None:
    """The positive marker: every mail sent is in the spool table and none is pending any more."""
    engine = make_engine(db_url, str(workdir))
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with Session(engine) as session:
                rows = session.exec(select(SpoolItem.status)).all()
            if len(rows) >= expected and SpoolStatus.PENDING not in rows:
                assert len(rows) == expected
                assert set(rows) == {SpoolStatus.DONE}
                return
            time.sleep(0.2)
        raise AssertionError(f"the worker did not process {expected} mails in time")
    finally:
        engine.dispose()


def conversations_of_threads(
    db_url: str, workdir: Path, threads: Sequence[str], size: int
) -> dict[str, set[int]]:
    engine = make_engine(db_url, str(workdir))
    try:
        with Session(engine) as session:
            found: dict[str, set[int]] = {}
            for thread in threads:
                ids = [mail_id(thread, n) for n in range(size)]
                rows = session.exec(
                    select(Message.conversation_id).where(col(Message.email_message_id).in_(ids))
                ).all()
                assert len(rows) == size, f"thread {thread} lost mails"
                found[thread] = set(rows)
            return found
    finally:
        engine.dispose()


def live_conversations(db_url: str, workdir: Path) -> int:
    engine = make_engine(db_url, str(workdir))
    try:
        with Session(engine) as session:
            query = select(func.count()).select_from(Conversation).where(col(Conversation.message_count) > 0)
            return int(session.exec(query).one())
    finally:
        engine.dispose()


def test_thirty_threads_over_four_connections_end_whole(
    desk: RelaydeskProcess, db_url: str, tmp_path: Path
) -> None:
    """Mail k of every thread goes over connection k, all four at once: replies race their parents.
    Three threads per sender, so joining must not merge a sender's separate threads either."""
    threads = [f"t{n:02d}" for n in range(30)]
    sender = {thread: f"visitor{n // 3}@example.org" for n, thread in enumerate(threads)}
    shuffled = random.Random(19)
    connections = []
    for index in range(4):
        order = threads[:]
        shuffled.shuffle(order)
        mails = [thread_mail(t, index, sender[t]) for t in order]
        connections.append(threading.Thread(target=send_over_one_connection, args=(desk.smtp_port, mails)))
    for connection in connections:
        connection.start()
    for connection in connections:
        connection.join()

    wait_processed(db_url, tmp_path, expected=120)
    found = conversations_of_threads(db_url, tmp_path, threads, size=4)
    split = [thread for thread, conversations in found.items() if len(conversations) != 1]
    assert split == [], f"{len(split)} of 30 threads split"
    assert live_conversations(db_url, tmp_path) == 30


def test_replies_before_their_parents_end_in_one_conversation(
    desk: RelaydeskProcess, db_url: str, tmp_path: Path
) -> None:
    """Ten threads sent newest first; five of them name only their parent (no References chain), so
    the last mail to arrive is what shows two conversations to be one thread."""
    full = [f"r{n}" for n in range(5)]
    sparse = [f"s{n}" for n in range(5)]
    mails = [
        thread_mail(thread, index, f"{thread}@example.org", full_references=thread in full)
        for thread in [*full, *sparse]
        for index in (3, 2, 1, 0)
    ]
    # sparse threads also in a crossed order: 3 (answers 2), 1 (answers 0), 0, then 2 joins both
    crossed = [
        thread_mail(f"x{n}", index, f"x{n}@example.org", full_references=False)
        for n in range(3)
        for index in (3, 1, 0, 2)
    ]
    send_over_one_connection(desk.smtp_port, [*mails, *crossed])

    wait_processed(db_url, tmp_path, expected=len(mails) + len(crossed))
    threads = [*full, *sparse, "x0", "x1", "x2"]
    found = conversations_of_threads(db_url, tmp_path, threads, size=4)
    split = [thread for thread, conversations in found.items() if len(conversations) != 1]
    assert split == [], f"{len(split)} of {len(threads)} threads split"
    assert live_conversations(db_url, tmp_path) == len(threads)
