"""The IMAP fetcher: copies new mail from one account's folder into the spool, never losing a message.

For each message, in UID order: `sink.put` (durable) → `cursors.save` → MOVE to `processed_folder`
(when set). A crash between any two steps means at worst the same message is offered again under the
same source key `imap:{account}:{folder}:{uidvalidity}:{uid}`; the spool is idempotent per key.
Mail is read with BODY.PEEK[], so \\Seen is never touched and never relied on.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from imapclient.exceptions import IMAPClientError

from inbound.imap_session import ImapAccount, ImapSession

__all__ = ["Cursor", "CursorStore", "ImapAccount", "ImapFetcher", "SpoolSink", "source_key"]

BATCH_SIZE = 50


@dataclass(frozen=True)
class Cursor:
    """The highest UID already spooled from a folder, valid only under this UIDVALIDITY."""

    uidvalidity: int
    last_uid: int


class SpoolSink(Protocol):
    def put(self, source_key: str, raw: bytes) -> None:
        """Return only once the message is stored durably; idempotent per source_key."""


class CursorStore(Protocol):
    def load(self, account: str, folder: str) -> Cursor | None: ...

    def save(self, account: str, folder: str, cursor: Cursor) -> None: ...


def source_key(account: str, folder: str, uidvalidity: int, uid: int) -> str:
    return f"imap:{account}:{folder}:{uidvalidity}:{uid}"


class ImapFetcher:
    """Fetches one account's folder; `run` keeps doing so (IDLE or polling) until told to stop."""

    def __init__(
        self,
        account: ImapAccount,
        sink: SpoolSink,
        cursors: CursorStore,
        *,
        logger: logging.Logger | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.account = account
        self._sink = sink
        self._cursors = cursors
        self._log = logger or logging.getLogger(__name__)
        self._batch_size = batch_size
        self._session: ImapSession | None = None

    def fetch_once(self) -> int:
        """Connect if needed, spool everything new, and return how many messages were spooled."""
        return self._fetch(stop=None)

    def run(self, stop: threading.Event) -> None:
        """Fetch, then wait for mail (IDLE, or poll), and again; reconnect with backoff on failures."""
        delays = _backoff(self.account.reconnect_min, self.account.reconnect_max)
        try:
            while not stop.is_set():
                try:
                    self._fetch(stop)
                    delays = _backoff(self.account.reconnect_min, self.account.reconnect_max)
                    self._wait_for_mail(stop)
                except Exception as error:  # every failure is retried: a fetcher must not die
                    self._disconnect()
                    delay = next(delays)
                    self._report_failure(error, delay)
                    stop.wait(delay)
        finally:
            self._disconnect()

    def close(self) -> None:
        self._disconnect()

    # -- one pass ----------------------------------------------------------------------------------

    def _fetch(self, stop: threading.Event | None) -> int:
        try:
            session = self._connected()
            return self._spool_new(session, stop)
        except BaseException:
            self._disconnect()
            raise

    def _connected(self) -> ImapSession:
        if self._session is not None:
            try:
                self._session.refresh()
                return self._session
            except (IMAPClientError, OSError) as error:
                self._log.info("IMAP %s: connection lost (%s); reconnecting", self.account.name, error)
                self._disconnect()
        session = ImapSession.open(self.account)
        self._session = session
        self._log.info(
            "IMAP %s: connected to %s:%s, folder %s (UIDVALIDITY %s)",
            self.account.name,
            self.account.host,
            self.account.port,
            self.account.folder,
            session.uidvalidity,
        )
        return session

    def _spool_new(self, session: ImapSession, stop: threading.Event | None) -> int:
        last_uid = self._last_uid(session.uidvalidity)
        if self.account.processed_folder is not None:
            self._move_leftovers(session, last_uid)
        spooled = 0
        for batch in _chunks(session.uids_after(last_uid), self._batch_size):
            if stop is not None and stop.is_set():
                break
            spooled += self._spool_batch(session, batch)
        if spooled:
            account = self.account
            self._log.info("IMAP %s: spooled %d message(s) from %s", account.name, spooled, account.folder)
        return spooled

    def _last_uid(self, uidvalidity: int) -> int:
        cursor = self._cursors.load(self.account.name, self.account.folder)
        if cursor is None:
            return 0
        if cursor.uidvalidity != uidvalidity:
            self._log.warning(
                "IMAP %s: UIDVALIDITY of %s changed from %s to %s; offering every message in it again "
                "(the spool drops duplicates by Message-ID and content)",
                self.account.name,
                self.account.folder,
                cursor.uidvalidity,
                uidvalidity,
            )
            return 0
        return cursor.last_uid

    def _spool_batch(self, session: ImapSession, uids: Sequence[int]) -> int:
        raws = session.fetch_raw(uids)
        stored: list[int] = []
        try:
            for uid in uids:
                raw = raws.get(uid)
                if raw is None:  # expunged by another client between SEARCH and FETCH
                    continue
                key = source_key(self.account.name, self.account.folder, session.uidvalidity, uid)
                self._sink.put(key, raw)
                self._cursors.save(self.account.name, self.account.folder, Cursor(session.uidvalidity, uid))
                stored.append(uid)
        finally:
            # Only what is durably spooled moves, even when the sink failed half way through.
            if stored and self.account.processed_folder is not None:
                session.move(stored, self.account.processed_folder)
        return len(stored)

    def _move_leftovers(self, session: ImapSession, last_uid: int) -> None:
        """Move mail spooled before a crash that came between `cursors.save` and MOVE."""
        assert self.account.processed_folder is not None
        leftovers = session.undeleted_uids_up_to(last_uid)
        if leftovers:
            self._log.info("IMAP %s: moving %d already spooled message(s)", self.account.name, len(leftovers))
            session.move(leftovers, self.account.processed_folder)

    # -- waiting and failing -----------------------------------------------------------------------

    def _wait_for_mail(self, stop: threading.Event) -> None:
        session = self._session
        if session is not None and self.account.idle and session.can_idle:
            session.idle_until_change(stop, self.account.idle_renew)
            return
        if self.account.idle and session is not None:
            self._log.debug("IMAP %s: server has no IDLE; polling", self.account.name)
        stop.wait(self.account.poll_interval)

    def _report_failure(self, error: Exception, delay: float) -> None:
        expected = isinstance(error, (IMAPClientError, OSError))
        self._log.log(
            logging.WARNING,
            "IMAP %s: %s: %s; retrying in %.1fs",
            self.account.name,
            type(error).__name__,
            error,
            delay,
            exc_info=not expected,
        )

    def _disconnect(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()


def _backoff(first: float, cap: float) -> Iterator[float]:
    """first, 2·first, 4·first … capped, each shortened by up to 20% so many fetchers do not align."""
    delay = first
    while True:
        yield delay * random.uniform(0.8, 1.0)
        delay = min(delay * 2, cap)


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
