"""What tells a process's event hub that new events may have committed.

PostgreSQL: LISTEN on a connection of its own (reconnecting with backoff); the writers' NOTIFY arrives
at their commit, from any process on any machine. SQLite: a short sleep, after which the hub's one cheap
query per process looks for rows above what it has seen; several processes on one machine need nothing
more than the database file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

import psycopg
from sqlalchemy.engine import Engine

from bridge.event_log import NOTIFY_CHANNEL

log = logging.getLogger(__name__)
POLL_INTERVAL = 0.15
RECONNECT_FIRST, RECONNECT_MAX = 0.5, 10.0


class Waker(Protocol):
    async def start(self) -> None: ...

    async def wait(self, timeout: float) -> None:
        """Return when events may have committed, or after `timeout` seconds at the latest."""

    async def close(self) -> None: ...


class PollWaker:
    def __init__(self, interval: float = POLL_INTERVAL) -> None:
        self.interval = interval

    async def start(self) -> None:
        return None

    async def wait(self, timeout: float) -> None:
        await asyncio.sleep(min(self.interval, timeout))

    async def close(self) -> None:
        return None


class PostgresWaker:
    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._signal = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def for_engine(cls, engine: Engine) -> PostgresWaker:
        url = engine.url.set(drivername="postgresql")
        return cls(url.render_as_string(hide_password=False))

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._listen())

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._signal.wait(), timeout)
        self._signal.clear()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _listen(self) -> None:
        delay = RECONNECT_FIRST
        while True:
            try:
                connect = psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
                async with await connect as connection:
                    await connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    delay = RECONNECT_FIRST
                    self._signal.set()  # catch up with whatever committed while nobody listened
                    async for _notice in connection.notifies():
                        self._signal.set()
            except (psycopg.Error, OSError) as exc:
                log.warning("event listener lost its connection (%s); reconnecting in %.1fs", exc, delay)
            self._signal.set()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)
