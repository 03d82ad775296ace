"""Ordering committed events so a client can resume: late commits, lost ids, random disconnects."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from chatcore.event_order import EventOrder
from chatcore.events import Delivery, LoggedEvent

AT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def row(event_id: int) -> LoggedEvent:
    return LoggedEvent(id=event_id, type="message_posted", conversation_id=1, created_at=AT)


def delivered(deliveries: list[Delivery]) -> list[tuple[int, int]]:
    return [(d.event.id if d.event else 0, d.cursor) for d in deliveries]


def test_events_in_order_are_delivered_once_each_with_their_own_id_to_resume_after() -> None:
    order = EventOrder(floor=4, grace=10)
    assert delivered(order.accept([row(5), row(6)], now=0)) == [(5, 5), (6, 6)]
    assert delivered(order.accept([row(5), row(6), row(7)], now=1)) == [(7, 7)]


def test_an_event_committed_late_is_delivered_and_the_cursor_waits_for_it() -> None:
    order = EventOrder(floor=9, grace=10)
    assert delivered(order.accept([row(11)], now=0)) == [(11, 9)]  # 10 is still in flight
    assert order.waiting
    assert delivered(order.accept([row(10), row(11)], now=1)) == [(10, 11)]
    assert not order.waiting


def test_an_id_that_never_commits_is_given_up_after_the_grace_period() -> None:
    order = EventOrder(floor=0, grace=10)
    order.accept([row(1), row(3)], now=0)  # 2 rolled back
    assert order.floor == 1
    assert delivered(order.accept([row(3), row(4)], now=5)) == [(4, 1)]
    assert delivered(order.accept([row(3), row(4), row(5)], now=11)) == [(5, 5)]
    assert order.floor == 5
    assert not order.waiting


def test_no_event_is_delivered_after_a_cursor_that_already_covers_it() -> None:
    """Commits in random order, read at random moments. A client that resumes after the cursor of the
    last event it got reads the log above it: so no later delivery may have an id at or below it."""
    rng = random.Random(20261207)
    for _ in range(300):
        commit_order = sorted(range(1, 41), key=lambda i: i + rng.uniform(0, 6))
        order = EventOrder(floor=0, grace=1000)
        committed: list[int] = []
        deliveries: list[Delivery] = []
        for event_id in commit_order:
            committed.append(event_id)
            if rng.random() < 0.5:
                deliveries += order.accept([row(i) for i in committed], now=0)
        deliveries += order.accept([row(i) for i in committed], now=0)
        ids = [d.event.id for d in deliveries if d.event]
        assert sorted(ids) == list(range(1, 41))
        for index, delivery in enumerate(deliveries):
            assert all(later > delivery.cursor for later in ids[index + 1 :])
