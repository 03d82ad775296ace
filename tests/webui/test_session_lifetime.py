"""A session lasts at most 7 days after login, however busy; the cookie lapses after 12 idle hours."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.clock import ManualClock
from tests.webui.conftest import log_in
from webui.auth import SESSION_IDLE


def test_a_session_ends_seven_days_after_login_even_when_used_every_day(
    client: TestClient, clock: ManualClock, operator_id: int
) -> None:
    log_in(client)
    for _day in range(6):
        clock.advance(days=1)
        assert client.get("/inbox").status_code == 200
    clock.advance(days=1, minutes=1)
    answer = client.get("/inbox")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/inbox"


def test_the_session_cookie_lapses_after_twelve_idle_hours(client: TestClient, operator_id: int) -> None:
    log_in(client)
    cookie = client.get("/inbox").headers["set-cookie"]
    assert f"Max-Age={int(SESSION_IDLE.total_seconds())}" in cookie, "signed again on each request"
