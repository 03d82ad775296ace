"""A slow page does not hold up mail: `relaydesk serve` answers an SMTP client while a web request is
stuck in blocking work, because that work runs in the threadpool, not on the event loop they share.

Each test makes one request block on something the test holds, proves the request is inside the
server and waiting, then opens an SMTP session and gets its banner before letting the request go.
"""

from __future__ import annotations

import errno
import os
import re
import smtplib
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bridge.blobs import BlobStore
from bridge.db import make_engine
from chatcore.models import Operator
from tests.support.images import png
from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink

DIGEST = "ab" * 32


@pytest.fixture
def desk(tmp_path: Path, db_url: str, sink: SmtpSink) -> Iterator[tuple[RelaydeskProcess, str]]:
    process = RelaydeskProcess(tmp_path, db_url, sink.port)
    added = process.cli("operator", "add", "olga@example.com", "--name", "Olga", "--no-email")
    assert added.returncode == 0, added.stderr
    password = re.search(r"password: (\S+)", added.stdout)
    assert password is not None, added.stdout
    process.start()
    yield process, password.group(1)
    assert process.stop() == 0


@pytest.fixture
def engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    made = make_engine(db_url, str(tmp_path))
    yield made
    made.dispose()


def smtp_banner(process: RelaydeskProcess) -> str:
    with smtplib.SMTP("127.0.0.1", process.smtp_port, timeout=15) as client:
        code, message = client.noop()
        assert code == 250
        return str(client.ehlo_resp or message)


def wait_until(condition: object, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen")


def test_smtp_answers_while_a_page_waits_on_a_file(
    desk: tuple[RelaydeskProcess, str], engine: Engine, tmp_path: Path
) -> None:
    process, _ = desk
    with Session(engine) as session:
        olga = session.exec(select(Operator)).one()
        olga.avatar_sha256 = DIGEST
        session.add(olga)
        session.commit()
    # The avatar's blob is a pipe: the page's read blocks until the test writes the image into it.
    blob = BlobStore(tmp_path / "var" / "files").path_of(DIGEST)
    blob.parent.mkdir(parents=True)
    os.mkfifo(blob)

    with ThreadPoolExecutor(1) as pool:
        page: Future[httpx.Response] = pool.submit(
            httpx.get, f"{process.base_url}/avatars/{DIGEST}", timeout=60
        )
        writer = _open_when_read(blob)  # succeeds only once the server has the pipe open for reading
        try:
            assert smtp_banner(process)
            assert not page.done(), "the page finished before the test let it"
            os.write(writer, png())
        finally:
            os.close(writer)
        response = page.result(timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"


def _open_when_read(fifo: Path) -> int:
    opened: list[int] = []

    def reader_is_there() -> bool:
        try:
            opened.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: nobody reads the pipe yet
                raise
            return False
        return True

    wait_until(reader_is_there, "the avatar request reaching its read")
    return opened[0]


def test_smtp_answers_while_a_page_waits_on_a_database_lock(
    desk: tuple[RelaydeskProcess, str], engine: Engine, db_url: str
) -> None:
    """PostgreSQL shows a backend waiting on a lock, which proves the request is stuck in the database
    (SQLite shows nobody waiting for its lock; the pipe above covers it)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("only PostgreSQL shows that a request waits on a lock")
    process, password = desk
    browser = httpx.Client(base_url=process.base_url, timeout=60)
    csrf = _csrf(browser.get("/login").text)
    logged_in = browser.post("/login", data={"email": "olga@example.com", "password": password, "csrf": csrf})
    assert logged_in.status_code == 303
    csrf = _csrf(browser.get("/inbox/profile").text)

    with engine.connect() as holder, ThreadPoolExecutor(1) as pool:
        holder.execute(text("SELECT id FROM operator WHERE email = 'olga@example.com' FOR UPDATE"))
        save: Future[httpx.Response] = pool.submit(
            browser.post,
            "/inbox/profile",
            data={"name": "Olga K.", "language": "ru", "alternates": "", "csrf": csrf},
        )
        wait_until(lambda: _lock_waiters(engine) > 0, "the profile request waiting on the row lock")
        assert smtp_banner(process)
        assert not save.done(), "the request finished before the test let it"
        holder.rollback()
        response = save.result(timeout=30)
    assert response.status_code == 303
    with Session(engine) as session:
        assert session.exec(select(Operator.name)).one() == "Olga K."


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _lock_waiters(engine: Engine) -> int:
    with engine.connect() as connection:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        return int(connection.execute(text(query)).scalar_one())
