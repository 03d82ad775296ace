"""The outbox on a manual clock: the backoff between attempts, giving up at the deadline, and a lease that
runs out while its worker is still sending: another worker takes the row over and the first one's late
outcome is not recorded. Both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlmodel import Session, col, select

from bridge.context import Context
from bridge.delivery import deliver_due
from chatcore.models import OutboxMail, OutboxStatus
from outbound.outbox import enqueue
from outbound.transport import PermanentFailure, TemporaryFailure
from tests.support.clock import ManualClock

LEASE = timedelta(minutes=5)


class Relay:
    """Records what it was handed; `answer` runs inside each send (it may raise, or let time pass)."""

    def __init__(self, answer: Callable[[str], None] = lambda recipient: None) -> None:
        self.sent: list[str] = []
        self.answer = answer

    def send(self, envelope_from: str, recipient: str, raw: bytes) -> None:
        self.sent.append(recipient)
        self.answer(recipient)

    def close(self) -> None:
        pass


def refuse_for_now(recipient: str) -> None:
    raise TemporaryFailure("451 4.3.0 try again later")


def queue(context: Context, *recipients: str, retry_for: timedelta = timedelta(days=2)) -> None:
    with Session(context.engine) as session:
        for number, recipient in enumerate(recipients):
            enqueue(
                session, now=context.clock.now(), retry_for=retry_for, recipient=recipient,
                envelope_from="support@example.com", raw=b"Subject: hi\r\n\r\nHello\r\n",
                email_message_id=f"m{number}@example.com", kind="test", conversation_id=None, message_ids=[],
            )
        session.commit()


def rows(context: Context) -> list[OutboxMail]:
    with Session(context.engine) as session:
        return list(session.exec(select(OutboxMail).order_by(col(OutboxMail.id))))


def test_temporary_failures_wait_30s_then_twice_as_long_each_time_up_to_an_hour(
    context: Context, clock: ManualClock
) -> None:
    queue(context, "anna@example.org")
    relay = Relay(refuse_for_now)
    waits: list[timedelta] = []
    for _ in range(9):
        assert deliver_due(context, relay, lease=LEASE) == 1
        [row] = rows(context)
        waits.append(row.next_attempt_at - clock.now())
        clock.advance(seconds=waits[-1].total_seconds() - 1)
        assert deliver_due(context, relay, lease=LEASE) == 0, "not due before its wait is over"
        clock.advance(seconds=1)

    minute = timedelta(minutes=1)
    assert waits == [minute / 2, minute, 2 * minute, 4 * minute, 8 * minute, 16 * minute, 32 * minute,
                     60 * minute, 60 * minute]
    [row] = rows(context)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 9)
    assert row.last_error == "451 4.3.0 try again later"


def test_the_first_failure_after_the_deadline_gives_up_and_nothing_is_tried_again(
    context: Context, clock: ManualClock
) -> None:
    queue(context, "anna@example.org", retry_for=timedelta(minutes=10))
    relay = Relay(refuse_for_now)
    for _ in range(60):  # half an hour in steps of 30 s
        if not deliver_due(context, relay, lease=LEASE):
            clock.advance(seconds=30)
    # tries at 0, 0:30, 1:30, 3:30, 7:30 (before the deadline) and 15:30, after it
    assert len(relay.sent) == 6
    [row] = rows(context)
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == "gave up after 6 attempts: 451 4.3.0 try again later"
    clock.advance(days=3)
    assert deliver_due(context, relay, lease=LEASE) == 0
    assert len(relay.sent) == 6


def test_a_lease_that_runs_out_mid_send_passes_the_rows_on_and_the_late_outcome_is_refused(
    context: Context, clock: ManualClock
) -> None:
    queue(context, "anna@example.org", "boris@example.org")
    second = Relay()

    def stall_past_the_lease(recipient: str) -> None:
        clock.advance(seconds=LEASE.total_seconds() + 1)
        assert deliver_due(context, second, lease=LEASE) == 2  # the other worker takes both rows over
        raise PermanentFailure("550 5.1.1 answered after the lease had run out")

    first = Relay(stall_past_the_lease)
    assert deliver_due(context, first, lease=LEASE) == 1

    assert first.sent == ["anna@example.org"], "the row it no longer holds is not sent"
    assert second.sent == ["anna@example.org", "boris@example.org"]
    assert [(row.status, row.last_error) for row in rows(context)] == [(OutboxStatus.SENT, "")] * 2
