"""The login throttle's arithmetic: free failures, a doubling wait, a ceiling, and forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from webui.login_throttle import LoginThrottle, ThrottlePolicy

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def throttle() -> LoginThrottle:
    return LoginThrottle(account=ThrottlePolicy(free=5), address=ThrottlePolicy(free=20))


def fail(
    limiter: LoginThrottle, times: int, account: str = "olga@example.com", address: str = "10.0.0.1"
) -> None:
    for _ in range(times):
        limiter.failed(account, address, START)


def test_five_failures_are_free_then_the_wait_doubles_up_to_fifteen_minutes() -> None:
    limiter = throttle()
    fail(limiter, 4)
    assert limiter.wait_before("olga@example.com", "10.0.0.1", START) == 0
    waits = []
    for _ in range(12):
        fail(limiter, 1)
        waits.append(limiter.wait_before("olga@example.com", "10.0.0.1", START))
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]


def test_the_wait_runs_out_and_a_quiet_key_is_forgotten() -> None:
    limiter = throttle()
    fail(limiter, 6)
    assert limiter.wait_before("olga@example.com", "10.0.0.1", START + timedelta(seconds=3)) == 1
    assert limiter.wait_before("olga@example.com", "10.0.0.1", START + timedelta(seconds=4)) == 0
    later = START + timedelta(minutes=16)
    limiter.failed("olga@example.com", "10.0.0.1", later)
    assert limiter.wait_before("olga@example.com", "10.0.0.1", later) == 0, "counting starts over"


def test_the_account_counts_from_every_address_and_the_address_for_every_account() -> None:
    limiter = throttle()
    fail(limiter, 5, address="10.0.0.1")
    assert limiter.wait_before("olga@example.com", "10.9.9.9", START) == 2
    for number in range(20):
        limiter.failed(f"user{number}@example.com", "10.0.0.2", START)
    assert limiter.wait_before("someone.new@example.com", "10.0.0.2", START) == 2
    assert limiter.wait_before("someone.new@example.com", "10.0.0.3", START) == 0


def test_a_success_clears_the_account_but_not_the_address() -> None:
    limiter = throttle()
    fail(limiter, 25)
    limiter.succeeded("olga@example.com")
    assert limiter.wait_before("olga@example.com", "10.0.0.4", START) == 0
    assert limiter.wait_before("olga@example.com", "10.0.0.1", START) > 0
