"""One IMAP connection with one folder selected: the wire-level half of the IMAP fetcher.

Knows IMAP (login, SELECT, UID SEARCH, FETCH BODY.PEEK[], MOVE, IDLE) and nothing of spools or cursors.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from chatcore.errors import ConfigError

IDLE_LIMIT_SECONDS = 29 * 60  # RFC 2177: servers may drop an IDLE older than 30 minutes
_IDLE_SLICE_SECONDS = 0.5  # how often a waiting IDLE looks at the stop flag
_CLOSE_TIMEOUT_SECONDS = 2.0
_DELETED = b"\\Deleted"


@dataclass(frozen=True)
class ImapAccount:
    """One mailbox folder to fetch from; `name` is the stable id used in source keys and cursors."""

    name: str
    host: str
    port: int = 993
    tls: bool = True  # implicit TLS; False means plain (tests), or STARTTLS when `starttls` is set
    starttls: bool = False
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    processed_folder: str | None = None  # MOVE here after spooling; None = keep, remembered by cursor
    idle: bool = True
    poll_interval: float = 60.0
    idle_renew: float = 600.0
    timeout: float = 30.0
    ca_file: str | None = None  # PEM CAs to trust instead of the system's (private CA, self-signed)
    reconnect_min: float = 1.0  # first delay after a failure; doubles up to reconnect_max
    reconnect_max: float = 300.0

    def __post_init__(self) -> None:
        where = f"[[inbound.imap]] {self.name}"
        if self.tls and self.starttls:
            raise ConfigError(f"{where}.starttls", "cannot be combined with tls = true (implicit TLS)")
        if not 0 < self.idle_renew < IDLE_LIMIT_SECONDS:
            raise ConfigError(f"{where}.idle_renew", f"must be between 0 and {IDLE_LIMIT_SECONDS} seconds")
        for key in ("poll_interval", "timeout", "reconnect_min", "reconnect_max"):
            if getattr(self, key) <= 0:
                raise ConfigError(f"{where}.{key}", "must be a positive number of seconds")
        if self.processed_folder == self.folder:
            raise ConfigError(f"{where}.processed_folder", "must differ from folder")


class ImapSession:
    """A logged-in connection with `account.folder` selected. Open with `ImapSession.open(account)`."""

    def __init__(self, client: IMAPClient, account: ImapAccount, uidvalidity: int) -> None:
        self._client = client
        self.account = account
        self.uidvalidity = uidvalidity
        self._idling = False

    @classmethod
    def open(cls, account: ImapAccount) -> ImapSession:
        client = _connect(account)
        try:
            if account.starttls:
                client.starttls(_tls_context(account))
            client.login(account.username, account.password)
            if account.processed_folder is not None:
                _ensure_folder(client, account.processed_folder)
            selected = client.select_folder(account.folder)
            return cls(client, account, int(selected[b"UIDVALIDITY"]))
        except BaseException:
            _shutdown_quietly(client)
            raise

    def has(self, capability: str) -> bool:
        return bool(self._client.has_capability(capability))

    @property
    def can_idle(self) -> bool:
        return self.has("IDLE")

    def refresh(self) -> None:
        """Let the server report mail that arrived since the last command (NOOP)."""
        self._client.noop()

    def uids_after(self, last_uid: int) -> list[int]:
        # `UID n:*` always matches the highest UID, even when it is below n: filter.
        found = self._client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in found if uid > last_uid)

    def undeleted_uids_up_to(self, last_uid: int) -> list[int]:
        if last_uid < 1:
            return []
        return sorted(self._client.search(["UID", f"1:{last_uid}", "NOT", "DELETED"]))

    def fetch_raw(self, uids: Sequence[int]) -> dict[int, bytes]:
        """The full raw bytes of each message, read with BODY.PEEK[] so \\Seen is never set."""
        response = self._client.fetch(list(uids), [b"BODY.PEEK[]"])
        return {uid: bytes(data[b"BODY[]"]) for uid, data in response.items() if b"BODY[]" in data}

    def move(self, uids: Sequence[int], destination: str) -> None:
        """MOVE when the server can; else COPY + \\Deleted + UID EXPUNGE (UIDPLUS); else COPY + \\Deleted."""
        if not uids:
            return
        if self.has("MOVE"):
            self._client.move(list(uids), destination)
            return
        self._client.copy(list(uids), destination)
        self._client.add_flags(list(uids), [_DELETED], silent=True)
        if self.has("UIDPLUS"):
            self._client.uid_expunge(list(uids))

    def idle_until_change(self, stop: threading.Event, renew_after: float) -> bool:
        """IDLE until the server reports a change, `renew_after` seconds pass, or `stop` is set.

        Returns True when the server reported something. A dead connection raises ConnectionError.
        """
        self._client.idle()
        self._idling = True
        deadline = time.monotonic() + renew_after
        changed = False
        while not changed and not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            responses = self._idle_responses(min(remaining, _IDLE_SLICE_SECONDS))
            changed = any(not _is_keepalive(response) for response in responses)
        self._client.idle_done()
        self._idling = False
        return changed

    def close(self) -> None:
        """Log out politely within a couple of seconds, or just drop the connection."""
        with contextlib.suppress(OSError):
            self._client.socket().settimeout(_CLOSE_TIMEOUT_SECONDS)
        try:
            if self._idling:
                self._client.idle_done()
            self._client.logout()
        except (IMAPClientError, OSError):
            _shutdown_quietly(self._client)

    def _idle_responses(self, timeout: float) -> list[tuple[object, ...]]:
        sock = self._client.socket()
        buffered = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
        if not buffered and not select.select([sock], [], [], timeout)[0]:
            return []
        responses: list[tuple[object, ...]] = self._client.idle_check(timeout=0)
        if not responses and _peer_closed(sock):
            raise ConnectionError("the IMAP server closed the connection during IDLE")
        return responses


def _connect(account: ImapAccount) -> IMAPClient:
    context = _tls_context(account) if account.tls else None
    client = IMAPClient(
        account.host, port=account.port, ssl=account.tls, ssl_context=context, timeout=account.timeout
    )
    _enable_keepalive(client.socket())
    return client


def _tls_context(account: ImapAccount) -> ssl.SSLContext:
    """Certificates and host names are always verified; `ca_file` only changes whom to trust."""
    return ssl.create_default_context(cafile=account.ca_file)


def _enable_keepalive(sock: socket.socket) -> None:
    """Notice a silently dead peer (NAT timeout, pulled cable) within minutes while in IDLE."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for option, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 15), ("TCP_KEEPCNT", 4)):
            if hasattr(socket, option):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)


def _ensure_folder(client: IMAPClient, folder: str) -> None:
    if client.folder_exists(folder):
        return
    try:
        client.create_folder(folder)
    except IMAPClientError:
        if not client.folder_exists(folder):  # another client may have created it meanwhile
            raise


def _is_keepalive(response: tuple[object, ...]) -> bool:
    """`* OK Still here` and similar status lines carry no news about the mailbox."""
    return len(response) > 0 and response[0] == b"OK"


def _peer_closed(sock: socket.socket) -> bool:
    """True when the socket is readable only because the peer has gone (EOF or reset)."""
    raw = socket.socket(fileno=sock.fileno())  # a second view of the same fd, to peek without TLS
    try:
        raw.setblocking(False)
        return raw.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        raw.detach()
        sock.settimeout(sock.gettimeout())


def _shutdown_quietly(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):
        client.shutdown()
