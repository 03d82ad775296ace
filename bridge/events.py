"""The event hub of one process: reads newly committed events once and hands them to every stream.

Publishing is writing rows to the event log in the transaction of the change (`bridge.event_log`).
Here, one task per process wakes (PostgreSQL NOTIFY, or a short poll on SQLite), reads the rows above
what it has seen in one query, puts them in order (`chatcore.event_order`) and in a ring of recent
deliveries, and wakes the subscribers. A subscriber that reconnects with a cursor, or falls further
behind than the ring, reads what it missed from the event log itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bridge import event_log
from bridge.event_wakers import Waker
from chatcore.event_order import EventOrder
from chatcore.events import Delivery, LoggedEvent

log = logging.getLogger(__name__)
RING_SIZE = 4096
GAP_GRACE = 15.0  # seconds an id missing below a delivered one is waited for
GAP_RECHECK = 0.5
IDLE_RECHECK = 5.0  # even without a wake-up: covers a notification lost while reconnecting
FETCH_LIMIT = 2000


class EventHub:
    def __init__(self, engine: Engine, waker: Waker, ring_size: int = RING_SIZE) -> None:
        self.engine = engine
        self.waker = waker
        self.ring_size = ring_size
        self._recent: list[Delivery] = []  # the latest deliveries; _recent[0] was delivery _base + 1
        self._base = 0
        self._position = 0  # deliveries made so far; a subscriber remembers where it is in them
        self._order: EventOrder | None = None
        self._tick: asyncio.Future[None] | None = None  # resolved at the next deliveries; shared by all
        self._task: asyncio.Task[None] | None = None
        self._starting: asyncio.Lock | None = None
        self.closed = False

    def subscribe(self, after: int | None) -> Subscription:
        """A stream from now on (`after` None), or from just after the cursor a client resumes with."""
        return Subscription(self, after)

    async def start(self) -> None:
        """Idempotent; the first stream of the process starts the hub in the running loop."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._task is not None or self.closed:
                return
            floor = await asyncio.to_thread(self._newest_id)
            self._order = EventOrder(floor, GAP_GRACE)
            await self.waker.start()
            self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        """Ends every subscription (their streams finish) and the hub's task."""
        self.closed = True
        self._wake_subscribers()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.waker.close()

    @property
    def floor(self) -> int:
        assert self._order is not None, "start() first"
        return self._order.floor

    @property
    def position(self) -> int:
        return self._position

    def deliveries_since(self, position: int) -> list[Delivery] | None:
        """Deliveries after `position`, or None when the ring no longer holds them all."""
        if position >= self._position:
            return []
        if position < self._base:
            return None
        return self._recent[position - self._base :]  # a slice: a thousand streams, each O(new)

    async def changed(self, timeout: float) -> None:
        """Wait for the next deliveries (or the hub closing), at most `timeout` seconds."""
        if self._tick is None:
            self._tick = asyncio.get_running_loop().create_future()
        # asyncio.wait on the one shared future: no task per waiting stream, as wait_for would make
        await asyncio.wait((self._tick,), timeout=timeout)

    async def _run(self) -> None:
        more = False
        while not self.closed:
            order = self._order
            assert order is not None
            try:
                if not more:
                    await self.waker.wait(GAP_RECHECK if order.waiting else IDLE_RECHECK)
                rows = await asyncio.to_thread(self._read_after, order.floor)
                more = len(rows) >= FETCH_LIMIT
                self._publish(order.accept(rows, time.monotonic()))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the event log failed; retrying")
                more = False
                await asyncio.sleep(1)

    def _publish(self, deliveries: list[Delivery]) -> None:
        if not deliveries:
            return
        self._recent.extend(deliveries)
        self._position += len(deliveries)
        if len(self._recent) > 2 * self.ring_size:  # trimmed in halves: amortized O(1) per delivery
            dropped = len(self._recent) - self.ring_size
            del self._recent[:dropped]
            self._base += dropped
        self._wake_subscribers()

    def _wake_subscribers(self) -> None:
        tick, self._tick = self._tick, None
        if tick is not None and not tick.done():
            tick.set_result(None)

    def _read_after(self, floor: int) -> list[LoggedEvent]:
        with Session(self.engine) as session:
            return event_log.read_after(session, floor, FETCH_LIMIT)

    def _newest_id(self) -> int:
        with Session(self.engine) as session:
            return event_log.newest_id(session)


class Subscription:
    """One stream's place in the events: what it has sent, and where to resume."""

    def __init__(self, hub: EventHub, after: int | None) -> None:
        self.hub = hub
        self.cursor = after if after is not None else -1
        self._resume = after is not None
        self._replay_due = self._resume
        self._position = -1
        self._sent: set[int] = set()  # ids above the cursor already sent (a replay and the ring overlap)

    async def open(self) -> None:
        """Pin where the stream starts. Called before the client is told it is connected: a change
        committed after that moment is never missed, even when this is the process's first stream."""
        if self._position >= 0:
            return
        await self.hub.start()
        self._position = self.hub.position
        if not self._resume:
            self.cursor = self.hub.floor

    async def next(self, timeout: float) -> list[Delivery] | None:
        """What to send next; [] when `timeout` passed without any (time for a heartbeat); None when the
        hub closed and the stream must end."""
        deadline = time.monotonic() + timeout
        await self.open()
        if self._replay_due:
            self._replay_due = False
            if replayed := await self._replay():
                return replayed
        while not self.hub.closed:
            found = self.hub.deliveries_since(self._position)
            if found is None:  # fell behind the ring: read what was missed from the log
                fresh = await self._replay()
            else:
                self._position += len(found)
                fresh = self._keep_new(found)
            if fresh:
                return fresh
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await self.hub.changed(remaining)
        return None

    async def _replay(self) -> list[Delivery]:
        floor, self._position = self.hub.floor, self.hub.position
        found = await asyncio.to_thread(self._read_log, self.cursor, floor)
        return self._keep_new(found)

    def _read_log(self, cursor: int, floor: int) -> list[Delivery]:
        """Everything after `cursor` from the log. Every id at or below the hub's floor had committed when
        the read began, so the read can vouch for those; above it, a late commit may still come."""
        with Session(self.hub.engine) as session:
            if event_log.is_too_old(session, cursor):
                return [Delivery(cursor=max(floor, 0), event=None)]
            rows: list[LoggedEvent] = []
            while len(rows) < event_log.BACKLOG:
                page = event_log.read_after(session, rows[-1].id if rows else cursor)
                rows.extend(page)
                if len(page) < event_log.REPLAY_PAGE:
                    break
        return [
            Delivery(
                cursor=max(cursor, min(floor, rows[i + 1].id - 1 if i + 1 < len(rows) else floor)),
                event=row,
            )
            for i, row in enumerate(rows)
        ]

    def _keep_new(self, deliveries: list[Delivery]) -> list[Delivery]:
        kept = []
        for delivery in deliveries:
            event = delivery.event
            if event is None:  # reset: the client starts over from here
                self._sent.clear()
                self.cursor = delivery.cursor
                kept.append(delivery)
                continue
            duplicate = event.id <= self.cursor or event.id in self._sent
            self.cursor = max(self.cursor, delivery.cursor)
            if not duplicate:
                self._sent.add(event.id)
                kept.append(Delivery(cursor=self.cursor, event=event))
        self._sent = {i for i in self._sent if i > self.cursor}
        return kept
