"""Login under attack, against the real `relaydesk serve`: password guessing does not stall the SMTP
server that shares the event loop, and a guesser is slowed down until even the right password waits."""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.desk_client import OPERATOR, SUPPORT, browser, log_in, plain_mail, start_desk
from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink

GUESSERS = 4
GUESSES_EACH = 4  # 16 in all: under the per-address allowance, so every guess is really checked


@pytest.fixture
def desk(tmp_path: Path, db_url: str, sink: SmtpSink) -> Iterator[tuple[RelaydeskProcess, str]]:
    process, password = start_desk(tmp_path, db_url, sink.port)
    yield process, password
    assert process.stop() == 0


class Guessers:
    """GUESSERS clients, each trying wrong passwords for an account of its own, back to back."""

    def __init__(self, desk: RelaydeskProcess) -> None:
        self.desk = desk
        self.answered: list[int] = []
        self.first_answer = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._guess, args=(n,)) for n in range(GUESSERS)]

    def _guess(self, number: int) -> None:
        email = OPERATOR if number == 0 else f"nobody{number}@example.com"
        with browser(self.desk) as client:
            for attempt in range(GUESSES_EACH):
                status = log_in(client, f"wrong guess {attempt}", email).status_code
                with self._lock:
                    self.answered.append(status)
                self.first_answer.set()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def count(self) -> int:
        with self._lock:
            return len(self.answered)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=300)


def one_smtp_session(desk: RelaydeskProcess) -> None:
    with smtplib.SMTP("127.0.0.1", desk.smtp_port, timeout=120) as smtp:
        smtp.ehlo("client.example.org")
        smtp.sendmail("anna@example.org", [SUPPORT], plain_mail("Still there?"))


def test_an_smtp_session_completes_while_wrong_passwords_are_being_checked(
    desk: tuple[RelaydeskProcess, str],
) -> None:
    process, _password = desk
    guessers = Guessers(process)
    guessers.start()
    assert guessers.first_answer.wait(timeout=120), "no login was answered"
    before = guessers.count()
    one_smtp_session(process)
    during = guessers.count() - before
    guessers.join()

    assert guessers.answered == [401] * (GUESSERS * GUESSES_EACH)
    # With argon2 on the event loop every SMTP reply waited behind a password check (a whole round of
    # them for the banner); off the loop the session is over before the checks in flight are.
    assert during < GUESSERS, f"{during} password checks finished while one SMTP session ran"


def test_twenty_wrong_passwords_and_then_the_right_one_is_refused_with_429(
    desk: tuple[RelaydeskProcess, str],
) -> None:
    process, password = desk
    with browser(process) as client:
        answers = [log_in(client, f"guess number {n}").status_code for n in range(20)]
        right = log_in(client, password)
        inbox = client.get("/inbox")

    assert answers[:5] == [401] * 5, "a few mistakes are free"
    assert set(answers[5:]) == {429}
    assert right.status_code == 429
    assert int(right.headers["Retry-After"]) >= 1
    assert 'id="throttled"' in right.text
    assert "Too many failed attempts. Try again in" in right.text
    assert inbox.headers["location"].startswith("/login"), "still logged out"


def test_unknown_and_known_accounts_answer_alike(desk: tuple[RelaydeskProcess, str]) -> None:
    process, _password = desk
    with browser(process) as client:
        known = log_in(client, "not the password")
        unknown = log_in(client, "not the password", "nobody@example.com")
    assert (known.status_code, unknown.status_code) == (401, 401)
    assert known.text.replace(OPERATOR, "EMAIL") == unknown.text.replace("nobody@example.com", "EMAIL")
