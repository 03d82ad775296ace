"""IMAP push latency: from a mail's APPEND on a real Dovecot to its message in a committed conversation.

Starts Dovecot (as the tests do: unprivileged, throwaway passwd-file) and the real `relaydesk serve`
with one `[[inbound.imap]]` account on SQLite, then appends mails one at a time and times each until its
message row is committed. Beside it, in the same run, a plain imapclient IDLE listener on the same
mailbox of another user (the same mail appended there first) times how long Dovecot itself takes to tell
a client in IDLE that mail arrived: Relaydesk cannot be faster than that, and the difference is what
Relaydesk adds (fetch, spool, pipeline, commit). The baseline has a mailbox of its own because Dovecot
says nothing to an idle client about a message that came and went between two of its checks.

Needs what `make test` installs (dovecot-imapd and the `dvtest` user).

Usage: python bench/imap_latency.py [--mails 20]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imapclient import IMAPClient

from tests.support.dovecot import Dovecot, free_loopback_port
from tests.support.process import RelaydeskProcess

USER, PASSWORD = "support", "secret"
WATCHER = "watcher"  # the baseline's own mailbox: the desk moves mail out of its INBOX at once
GIVE_UP_AFTER = 15.0  # seconds; a mail slower than this is reported as lost


def mail(number: int) -> bytes:
    return (
        f"From: Vera <vera{number}@example.net>\r\nTo: support@example.com\r\n"
        f"Subject: Latency {number}\r\nMessage-ID: <latency-{number}@example.net>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nГде мой заказ?\r\n"
    ).encode()


class IdleListener:
    """A bare IDLE client: records when Dovecot reports each new message (EXISTS) on the watcher's INBOX."""

    def __init__(self, dovecot: Dovecot) -> None:
        self._client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=30)
        self._client.login(WATCHER, PASSWORD)
        self._client.select_folder("INBOX")
        self.notices: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)

    def start(self) -> IdleListener:
        self._thread.start()
        time.sleep(0.5)  # in IDLE before the first mail
        return self

    def _listen(self) -> None:
        self._client.idle()  # stays in IDLE the whole run, as a client waiting for push would
        while not self._stop.is_set():
            responses = self._client.idle_check(timeout=0.2)
            if any(len(response) > 1 and response[1] == b"EXISTS" for response in responses):
                self.notices.append(time.monotonic())
        self._client.idle_done()

    def notice_after(self, moment: float) -> float | None:
        deadline = time.monotonic() + GIVE_UP_AFTER
        while time.monotonic() < deadline:
            later = [notice for notice in self.notices if notice >= moment]
            if later:
                return later[0] - moment
            time.sleep(0.005)
        return None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._client.logout()


def committed_after(database: Path, message_id: str, moment: float) -> float | None:
    """Seconds from `moment` until a message with this Message-ID is committed (read as another
    process would read it)."""
    deadline = time.monotonic() + GIVE_UP_AFTER
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        while time.monotonic() < deadline:
            found = db.execute("SELECT 1 FROM message WHERE email_message_id = ?", (message_id,)).fetchone()
            if found:
                return time.monotonic() - moment
            time.sleep(0.005)
    return None


def start_desk(workdir: Path, dovecot: Dovecot) -> RelaydeskProcess:
    database = workdir / "desk.db"
    desk = RelaydeskProcess(
        workdir,
        f"sqlite:///{database}",
        free_loopback_port(),
        inbound__smtp={"enabled": False},
        outbound={"transport": "maildir"},
    )
    with desk.config.open("a", encoding="utf-8") as config:
        config.write(
            "\n[[inbound.imap]]\n"
            f'host = "127.0.0.1"\nport = {dovecot.port}\ntls = false\n'
            f'username = "{USER}"\npassword = "{PASSWORD}"\nprocessed_folder = "Processed"\n'
        )
    return desk.start()


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(value * 1000 for value in seconds)
    return f"{name:<44} median {statistics.median(ms):5.0f} ms   max {ms[-1]:5.0f} ms   ({len(ms)} mails)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Dovecot() as dovecot:
        dovecot.add_user(USER, PASSWORD)
        dovecot.add_user(WATCHER, PASSWORD)
        dovecot.append(WATCHER, "INBOX", mail(0))
        dovecot.append(USER, "INBOX", mail(0))  # creates the mailbox; the desk imports it on start
        desk = start_desk(Path(tmp), dovecot)
        listener = IdleListener(dovecot).start()
        database = Path(tmp) / "desk.db"
        try:
            if committed_after(database, "latency-0@example.net", time.monotonic()) is None:
                sys.exit(f"the desk never imported its first mail; see {desk.log}")
            time.sleep(1.0)  # the fetcher is back in IDLE
            dovecot_times, desk_times = run(dovecot, listener, database, args.mails)
        finally:
            listener.stop()
            desk.stop()
    print(summary("Dovecot's IDLE notice (plain imapclient)", dovecot_times))
    print(summary("Relaydesk: APPEND → committed message", desk_times))
    added = statistics.median(desk_times) - statistics.median(dovecot_times)
    print(f"Relaydesk adds {added * 1000:.0f} ms (median) to Dovecot's own notice; target: under 2 s in all")


def run(
    dovecot: Dovecot, listener: IdleListener, database: Path, count: int
) -> tuple[list[float], list[float]]:
    dovecot_times, desk_times = [], []
    for number in range(1, count + 1):
        watched = time.monotonic()
        dovecot.append(WATCHER, "INBOX", mail(number))
        appended = time.monotonic()  # from the start of the APPEND: login and upload count against us
        dovecot.append(USER, "INBOX", mail(number))
        desk = committed_after(database, f"latency-{number}@example.net", appended)
        notice = listener.notice_after(watched)
        if desk is None or notice is None:
            sys.exit(f"mail {number} never arrived (desk: {desk}, Dovecot notice: {notice})")
        desk_times.append(desk)
        dovecot_times.append(notice)
        time.sleep(0.3)  # both clients back in IDLE
    return dovecot_times, desk_times


if __name__ == "__main__":
    main()
