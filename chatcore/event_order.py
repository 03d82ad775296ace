"""Putting committed events in an order a client can resume from.

Ids are taken when a row is inserted, but transactions commit in another order: on PostgreSQL event 11
can be visible while event 10 is still in flight. So the reader delivers what it sees at once and keeps
a `floor`: the highest id at or below which every event has been delivered, or given up for lost (a
rolled-back transaction leaves a gap that never fills; it is waited for `grace` seconds). A client
resumes after the floor it was last given, which may send it a few events twice but never loses one.
"""

from __future__ import annotations

from collections.abc import Iterable

from chatcore.events import Delivery, LoggedEvent

MAX_TRACKED_GAP = 100_000  # a jump wider than this (a reset sequence) is taken as it is


class EventOrder:
    def __init__(self, floor: int, grace: float) -> None:
        self.floor = floor
        self.grace = grace
        self._seen: set[int] = set()  # delivered ids above the floor
        self._gaps: dict[int, float] = {}  # missing id -> when it was first missed

    @property
    def waiting(self) -> bool:
        """True while an id below a delivered one has not arrived yet."""
        return bool(self._gaps)

    def accept(self, rows: Iterable[LoggedEvent], now: float) -> list[Delivery]:
        """The rows not delivered before, oldest first, each with the cursor to resume after it."""
        fresh = sorted({row.id: row for row in rows if self._is_new(row.id)}.values(), key=lambda r: r.id)
        for row in fresh:
            self._seen.add(row.id)
            self._gaps.pop(row.id, None)
        self._note_gaps(now)
        self._advance(now)
        deliveries = []
        for index, row in enumerate(fresh):
            following = fresh[index + 1].id - 1 if index + 1 < len(fresh) else self.floor
            deliveries.append(Delivery(cursor=min(self.floor, following), event=row))
        return deliveries

    def _is_new(self, event_id: int) -> bool:
        return event_id > self.floor and event_id not in self._seen

    def _note_gaps(self, now: float) -> None:
        top = max(self._seen, default=self.floor)
        if top - self.floor > MAX_TRACKED_GAP:
            self._seen = {i for i in self._seen if i > top - MAX_TRACKED_GAP}
            self.floor = top - MAX_TRACKED_GAP
            self._gaps = {}
        for missing in range(self.floor + 1, top):
            if missing not in self._seen:
                self._gaps.setdefault(missing, now)

    def _advance(self, now: float) -> None:
        while True:
            following = self.floor + 1
            if following in self._seen:
                self._seen.discard(following)
            elif following in self._gaps and now - self._gaps[following] >= self.grace:
                del self._gaps[following]
            else:
                return
            self.floor = following
