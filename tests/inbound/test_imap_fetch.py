"""The IMAP fetcher against a real Dovecot: nothing lost, nothing spooled twice under one key, prompt."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest

from chatcore.errors import ConfigError
from inbound.imap_fetch import Cursor, ImapAccount, ImapFetcher, source_key
from tests.support.dovecot import Dovecot, free_loopback_port

PASSWORD = "secret"


class MemorySink:
    """Records every put, in order; can be told to fail."""

    def __init__(self) -> None:
        self.puts: list[tuple[str, bytes]] = []
        self.failing = False

    def put(self, source_key: str, raw: bytes) -> None:
        if self.failing:
            raise OSError("spool disk is full")
        self.puts.append((source_key, raw))

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.puts]


class MemoryCursors:
    def __init__(self) -> None:
        self.saved: dict[tuple[str, str], Cursor] = {}
        self.failing = False

    def load(self, account: str, folder: str) -> Cursor | None:
        return self.saved.get((account, folder))

    def save(self, account: str, folder: str, cursor: Cursor) -> None:
        if self.failing:
            raise OSError("database is gone")
        self.saved[(account, folder)] = cursor


def message(subject: str, body: str = "Hello, we need help with order 42.") -> bytes:
    return (
        f"From: Client <client@example.org>\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
        f"Message-ID: <{abs(hash(subject))}@example.org>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def account_for(server: Dovecot, user: str, **overrides: object) -> ImapAccount:
    base = ImapAccount(
        name=user,
        host=server.host,
        port=server.port,
        tls=False,
        username=user,
        password=PASSWORD,
        reconnect_min=0.1,
        reconnect_max=0.5,
        timeout=5.0,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def uids_in(server: Dovecot, user: str, folder: str) -> list[int]:
    with server.client(user) as client:
        if not client.folder_exists(folder):
            return []
        client.select_folder(folder, readonly=True)
        return sorted(client.search())


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@contextmanager
def running(fetcher: ImapFetcher) -> Iterator[threading.Event]:
    """Run the fetcher in a thread; on exit, stop it and insist it returned within a second or so."""
    stop = threading.Event()
    thread = threading.Thread(target=fetcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=1.5)
        assert not thread.is_alive(), "run() did not return promptly after stop was set"


@pytest.fixture
def support(dovecot: Dovecot) -> str:
    dovecot.add_user("support", PASSWORD)
    return "support"


# -- spooling and moving ---------------------------------------------------------------------------


def test_new_mail_is_spooled_once_in_uid_order_and_moved(dovecot: Dovecot, support: str) -> None:
    raws = [message("Order 1"), message("Заказ 2", "Здравствуйте! Не пришёл заказ."), message("Order 3")]
    uids = [dovecot.append(support, "INBOX", raw) for raw in raws]
    uidvalidity = dovecot.uidvalidity(support, "INBOX")
    sink, cursors = MemorySink(), MemoryCursors()
    fetcher = ImapFetcher(account_for(dovecot, support, processed_folder="Processed"), sink, cursors)

    assert fetcher.fetch_once() == 3
    assert fetcher.fetch_once() == 0
    fetcher.close()

    assert sink.keys == [source_key(support, "INBOX", uidvalidity, uid) for uid in uids]
    assert [raw for _, raw in sink.puts] == raws  # byte for byte, Cyrillic included
    assert cursors.load(support, "INBOX") == Cursor(uidvalidity, uids[-1])
    assert uids_in(dovecot, support, "INBOX") == []
    assert len(uids_in(dovecot, support, "Processed")) == 3


def test_fetching_in_batches_spools_everything(dovecot: Dovecot, support: str) -> None:
    for number in range(7):
        dovecot.append(support, "INBOX", message(f"Batch {number}"))
    sink = MemorySink()
    account = account_for(dovecot, support, processed_folder="Done")
    fetcher = ImapFetcher(account, sink, MemoryCursors(), batch_size=3)

    assert fetcher.fetch_once() == 7
    fetcher.close()
    assert len(set(sink.keys)) == 7
    assert len(uids_in(dovecot, support, "Done")) == 7


def test_keep_mode_remembers_by_cursor_across_restarts(dovecot: Dovecot, support: str) -> None:
    dovecot.append(support, "INBOX", message("First"))
    dovecot.append(support, "INBOX", message("Second"))
    sink, cursors = MemorySink(), MemoryCursors()
    account = account_for(dovecot, support)
    first = ImapFetcher(account, sink, cursors)
    assert first.fetch_once() == 2
    first.close()

    third_uid = dovecot.append(support, "INBOX", message("Third"))
    second = ImapFetcher(account, sink, cursors)  # as after a process restart: only the cursor survives
    assert second.fetch_once() == 1
    second.close()

    assert sink.keys[-1].endswith(f":{third_uid}")
    assert len(sink.keys) == 3
    assert len(uids_in(dovecot, support, "INBOX")) == 3


def test_keep_mode_leaves_messages_unseen(dovecot: Dovecot, support: str) -> None:
    dovecot.append(support, "INBOX", message("Unread"))
    fetcher = ImapFetcher(account_for(dovecot, support), MemorySink(), MemoryCursors())
    assert fetcher.fetch_once() == 1
    fetcher.close()

    with dovecot.client(support) as client:
        client.select_folder("INBOX", readonly=True)
        assert client.search(["UNSEEN"]) == client.search(["ALL"]) != []


def test_already_seen_mail_is_fetched_too(dovecot: Dovecot, support: str) -> None:
    dovecot.append(support, "INBOX", message("Read on a phone"), flags=(b"\\Seen",))
    sink = MemorySink()
    fetcher = ImapFetcher(account_for(dovecot, support), sink, MemoryCursors())
    assert fetcher.fetch_once() == 1
    fetcher.close()


def test_several_accounts_and_folders_keep_separate_keys_and_cursors(dovecot: Dovecot, support: str) -> None:
    dovecot.add_user("sales", PASSWORD)
    dovecot.append(support, "INBOX", message("Support inbox"))
    dovecot.append(support, "Escalated", message("Support escalated"))
    dovecot.append("sales", "INBOX", message("Sales inbox"))
    sink, cursors = MemorySink(), MemoryCursors()
    accounts = [
        account_for(dovecot, support),
        account_for(dovecot, support, folder="Escalated", processed_folder="Escalated-done"),
        account_for(dovecot, "sales", processed_folder="Archive"),
    ]
    fetchers = [ImapFetcher(account, sink, cursors) for account in accounts]

    assert [fetcher.fetch_once() for fetcher in fetchers] == [1, 1, 1]
    for fetcher in fetchers:
        fetcher.close()

    assert sorted(key.rsplit(":", 2)[0] for key in sink.keys) == [
        "imap:sales:INBOX",
        "imap:support:Escalated",
        "imap:support:INBOX",
    ]
    assert set(cursors.saved) == {("support", "INBOX"), ("support", "Escalated"), ("sales", "INBOX")}
    assert uids_in(dovecot, support, "Escalated") == []
    assert len(uids_in(dovecot, support, "Escalated-done")) == 1
    assert len(uids_in(dovecot, support, "INBOX")) == 1  # keep mode


@pytest.mark.parametrize("mode", ["implicit-tls", "starttls"])
def test_fetches_over_verified_tls(mode: str) -> None:
    with Dovecot(tls=True) as server:
        server.add_user("support", PASSWORD)
        server.append("support", "INBOX", message("Over TLS"))
        tls = {"tls": True, "port": server.tls_port} if mode == "implicit-tls" else {"starttls": True}
        account = account_for(server, "support", ca_file=str(server.cert_path), **tls)
        sink = MemorySink()
        fetcher = ImapFetcher(account, sink, MemoryCursors())
        assert fetcher.fetch_once() == 1
        fetcher.close()
        assert sink.puts[0][1] == message("Over TLS")


def test_idle_over_tls_delivers_and_survives_a_server_crash() -> None:
    with Dovecot(tls=True) as server:
        server.add_user("support", PASSWORD)
        tls = {"tls": True, "port": server.tls_port, "ca_file": str(server.cert_path)}
        account = account_for(server, "support", poll_interval=3600.0, **tls)
        sink = MemorySink()
        with running(ImapFetcher(account, sink, MemoryCursors())):
            time.sleep(0.3)
            server.append("support", "INBOX", message("TLS IDLE"))
            assert wait_until(lambda: len(sink.puts) == 1, timeout=15)
            server.restart(graceful=False)
            server.append("support", "INBOX", message("TLS after crash"))
            assert wait_until(lambda: len(sink.puts) == 2, timeout=25)


def test_an_untrusted_certificate_is_refused() -> None:
    with Dovecot(tls=True) as server:
        server.add_user("support", PASSWORD)
        account = account_for(server, "support", tls=True, port=server.tls_port)  # system CAs only
        with pytest.raises(ssl.SSLCertVerificationError):
            ImapFetcher(account, MemorySink(), MemoryCursors()).fetch_once()


# -- failures never lose mail ----------------------------------------------------------------------


def test_sink_failure_leaves_the_message_in_inbox_and_the_next_run_spools_it(
    dovecot: Dovecot, support: str
) -> None:
    dovecot.append(support, "INBOX", message("Spooled before the disk filled"))
    sink, cursors = MemorySink(), MemoryCursors()
    account = account_for(dovecot, support, processed_folder="Processed")
    fetcher = ImapFetcher(account, sink, cursors)
    assert fetcher.fetch_once() == 1

    stuck_uid = dovecot.append(support, "INBOX", message("Arrives while the disk is full"))
    sink.failing = True
    with pytest.raises(OSError, match="disk is full"):
        fetcher.fetch_once()
    assert uids_in(dovecot, support, "INBOX") == [stuck_uid]
    assert len(uids_in(dovecot, support, "Processed")) == 1

    sink.failing = False
    assert fetcher.fetch_once() == 1
    fetcher.close()
    assert sink.keys[-1].endswith(f":{stuck_uid}")
    assert uids_in(dovecot, support, "INBOX") == []
    assert len(uids_in(dovecot, support, "Processed")) == 2


def test_a_crash_before_the_cursor_is_saved_offers_the_same_key_again(dovecot: Dovecot, support: str) -> None:
    dovecot.append(support, "INBOX", message("Offered twice"))
    sink, cursors = MemorySink(), MemoryCursors()
    account = account_for(dovecot, support, processed_folder="Processed")
    cursors.failing = True
    with pytest.raises(OSError, match="database is gone"):
        ImapFetcher(account, sink, cursors).fetch_once()
    assert len(uids_in(dovecot, support, "INBOX")) == 1  # not moved: the cursor did not record it

    cursors.failing = False
    fetcher = ImapFetcher(account, sink, cursors)
    assert fetcher.fetch_once() == 1
    fetcher.close()
    assert len(sink.keys) == 2
    assert sink.keys[0] == sink.keys[1]  # the spool's idempotency per key makes this harmless
    assert uids_in(dovecot, support, "INBOX") == []


def test_mail_spooled_but_not_moved_before_a_crash_is_moved_later_without_respooling(
    dovecot: Dovecot, support: str
) -> None:
    dovecot.append(support, "INBOX", message("Left behind"))
    sink, cursors = MemorySink(), MemoryCursors()
    keep = ImapFetcher(account_for(dovecot, support), sink, cursors)  # spools and saves, does not move
    assert keep.fetch_once() == 1
    keep.close()

    move = ImapFetcher(account_for(dovecot, support, processed_folder="Processed"), sink, cursors)
    assert move.fetch_once() == 0
    move.close()
    assert len(sink.keys) == 1
    assert uids_in(dovecot, support, "INBOX") == []
    assert len(uids_in(dovecot, support, "Processed")) == 1


def test_uidvalidity_change_offers_the_folder_again_under_the_new_validity(
    dovecot: Dovecot, support: str
) -> None:
    for subject in ("One", "Two"):
        dovecot.append(support, "INBOX", message(subject))
    sink, cursors = MemorySink(), MemoryCursors()
    fetcher = ImapFetcher(account_for(dovecot, support), sink, cursors)
    assert fetcher.fetch_once() == 2
    old = cursors.load(support, "INBOX")
    assert old is not None

    new_validity = dovecot.bump_uidvalidity(support, "INBOX")
    assert fetcher.fetch_once() == 2  # the old connection is gone; fetch_once reconnects
    assert fetcher.fetch_once() == 0
    fetcher.close()

    reoffered = sink.keys[2:]
    assert all(key.startswith(f"imap:{support}:INBOX:{new_validity}:") for key in reoffered)
    assert [raw for _, raw in sink.puts[2:]] == [raw for _, raw in sink.puts[:2]]
    assert cursors.load(support, "INBOX") == Cursor(new_validity, old.last_uid)


# -- run(): IDLE, polling, reconnects, stop --------------------------------------------------------


def test_idle_delivers_new_mail_while_run_is_waiting(dovecot: Dovecot, support: str) -> None:
    dovecot.append(support, "INBOX", message("Already there"))
    sink = MemorySink()
    # A poll interval of an hour: only IDLE can bring the second mail in time.
    fetcher = ImapFetcher(account_for(dovecot, support, poll_interval=3600.0), sink, MemoryCursors())
    with running(fetcher):
        assert wait_until(lambda: len(sink.puts) == 1, timeout=15)
        time.sleep(0.3)  # let run() enter IDLE
        appended = time.monotonic()
        dovecot.append(support, "INBOX", message("Arrives during IDLE"))
        assert wait_until(lambda: len(sink.puts) == 2, timeout=15)
        latency = time.monotonic() - appended
    print(f"\nIDLE delivery latency (IMAP APPEND done -> sink.put): {latency * 1000:.0f} ms")


def test_idle_renewal_keeps_delivering(dovecot: Dovecot, support: str) -> None:
    sink = MemorySink()
    account = account_for(dovecot, support, idle_renew=0.2, poll_interval=3600.0)
    with running(ImapFetcher(account, sink, MemoryCursors())):
        time.sleep(1.0)  # several IDLE / DONE / IDLE rounds
        dovecot.append(support, "INBOX", message("After renewals"))
        assert wait_until(lambda: len(sink.puts) == 1, timeout=15)


@pytest.mark.parametrize("graceful", [True, False], ids=["server-restart", "server-crash"])
def test_run_reconnects_after_the_server_drops_the_connection_during_idle(
    dovecot: Dovecot, support: str, graceful: bool
) -> None:
    dovecot.append(support, "INBOX", message("Before the restart"))
    sink = MemorySink()
    fetcher = ImapFetcher(account_for(dovecot, support, poll_interval=3600.0), sink, MemoryCursors())
    with running(fetcher):
        assert wait_until(lambda: len(sink.puts) == 1, timeout=15)
        time.sleep(0.3)
        dovecot.restart(graceful=graceful)
        dovecot.append(support, "INBOX", message("After the restart"))
        assert wait_until(lambda: len(sink.puts) == 2, timeout=25)
    assert len(set(sink.keys)) == 2


def test_polling_works_with_idle_switched_off(dovecot: Dovecot, support: str) -> None:
    sink = MemorySink()
    fetcher = ImapFetcher(account_for(dovecot, support, idle=False, poll_interval=0.3), sink, MemoryCursors())
    with running(fetcher):
        time.sleep(0.2)
        dovecot.append(support, "INBOX", message("Found by polling"))
        assert wait_until(lambda: len(sink.puts) == 1, timeout=10)


def test_a_server_without_idle_or_move_is_polled_and_copy_expunge_is_used() -> None:
    with Dovecot(extra_config="imap_capability = IMAP4rev1 UIDPLUS") as server:
        server.add_user("support", PASSWORD)
        sink = MemorySink()
        account = account_for(server, "support", processed_folder="Processed", poll_interval=0.3)
        with running(ImapFetcher(account, sink, MemoryCursors())):
            time.sleep(0.2)
            server.append("support", "INBOX", message("Old server"))
            assert wait_until(lambda: len(sink.puts) == 1, timeout=10)
            assert wait_until(lambda: uids_in(server, "support", "INBOX") == [], timeout=10)
        assert len(uids_in(server, "support", "Processed")) == 1


def test_stop_is_honoured_promptly_while_in_idle(dovecot: Dovecot, support: str) -> None:
    fetcher = ImapFetcher(account_for(dovecot, support), MemorySink(), MemoryCursors())
    with running(fetcher) as stop:
        time.sleep(0.5)
        stopped = time.monotonic()
        stop.set()
    assert time.monotonic() - stopped < 1.5


def test_stop_is_honoured_promptly_while_backing_off() -> None:
    port = free_loopback_port()  # nothing listens there
    account = ImapAccount(name="nowhere", host="127.0.0.1", port=port, tls=False, reconnect_min=60)
    with running(ImapFetcher(account, MemorySink(), MemoryCursors())):
        time.sleep(0.3)  # the connection is refused; run() now waits a minute before retrying


# -- configuration ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"idle_renew": 1800.0}, "idle_renew"),
        ({"tls": True, "starttls": True}, "starttls"),
        ({"poll_interval": 0.0}, "poll_interval"),
        ({"processed_folder": "INBOX"}, "processed_folder"),
    ],
)
def test_bad_account_settings_name_the_key(overrides: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        ImapAccount(name="support", host="imap.example.com", **overrides)  # type: ignore[arg-type]
    assert raised.value.key.endswith(f"support.{key}")
