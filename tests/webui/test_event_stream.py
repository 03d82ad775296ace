"""GET /api/v1/events and GET /api/widget/events: who may listen, what each hears, how a stream keeps
itself alive. Streams are read from a real uvicorn server, as a browser reads them."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from bridge import notifications
from bridge.app import build_web_app
from bridge.context import Context
from bridge.db import transaction
from chatcore.models import Operator
from chatcore.services import Desk, NewMessage
from tests.support.factories import change_operator
from tests.support.served import serving
from tests.support.sse import SseStream
from tests.webui.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD, csrf_from, log_in


@pytest.fixture
def served(context: Context, operator_id: int) -> Iterator[str]:
    """The web app on a real port, with a heartbeat every 0.2 s instead of 15 s."""
    app = build_web_app(context)
    app.state.deps = dataclasses.replace(app.state.deps, event_heartbeat=0.2)
    with serving(app) as url:
        yield url


def signed_in(base_url: str) -> httpx.Cookies:
    with httpx.Client(base_url=base_url) as client:
        token = csrf_from(client.get("/login").text)
        client.post("/login", data={"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD, "csrf": token})
        return client.cookies


def visitor_posts(
    base_url: str, text: str, visitor: httpx.Cookies | None = None
) -> tuple[int, httpx.Cookies]:
    with httpx.Client(base_url=base_url, cookies=visitor) as client:
        answer = client.post("/api/widget/messages", json={"text": text})
        assert answer.status_code == 201
        return int(answer.json()["message"]["id"]), client.cookies


def test_nobody_signed_in_gets_a_json_401(client: TestClient) -> None:
    answer = client.get("/api/v1/events")
    assert answer.status_code == 401
    assert answer.json() == {"error": "sign in first"}


def test_a_deactivated_operator_may_not_listen(
    client: TestClient, context: Context, operator_id: int
) -> None:
    log_in(client)
    change_operator(context.engine, operator_id, active=False)
    assert client.get("/api/v1/events").status_code == 401


def test_a_resume_id_that_is_not_one_of_ours_is_refused_with_the_field(
    client: TestClient, operator_id: int
) -> None:
    log_in(client)
    answer = client.get("/api/v1/events", headers={"Last-Event-ID": "yesterday"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "not an event id", "field": "last_event_id"}


def test_a_visitor_without_a_conversation_has_no_stream(client: TestClient) -> None:
    answer = client.get("/api/widget/events")
    assert answer.status_code == 401
    assert answer.json()["error"] == "no conversation yet"


def test_an_idle_stream_sends_heartbeats_and_tells_the_browser_when_to_reconnect(served: str) -> None:
    stream = SseStream(f"{served}/api/v1/events", signed_in(served)).open()
    deadline = time.monotonic() + 10
    while stream.comments < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    stream.close()
    assert stream.comments >= 3  # ": connected", then ": keepalive" lines
    assert stream.retry == 2000


def test_an_operator_hears_every_visitor_and_a_visitor_only_their_own_messages(
    served: str, context: Context, operator_id: int
) -> None:
    _first, anna = visitor_posts(served, "Anna's first message")
    operator = SseStream(f"{served}/api/v1/events", signed_in(served)).open()
    annas_stream = SseStream(f"{served}/api/widget/events", anna).open()

    boris_message, _boris = visitor_posts(served, "Boris writes")
    anna_message, _anna = visitor_posts(served, "Anna writes again", anna)
    operator.next_matching(lambda data: data.get("message_id") == boris_message)
    heard = operator.next_matching(lambda data: data.get("message_id") == anna_message)
    assert heard.id is not None

    got = annas_stream.next_matching(lambda data: True)
    assert got.data["message_id"] == anna_message  # Boris's came first, and never reached Anna
    with transaction(context.engine) as session:
        desk = Desk(session, context.clock.now())
        conversation = desk.get_conversation(heard.data["conversation_id"])
        operator_row = session.get_one(Operator, operator_id)
        events = desk.post_note(conversation, operator_row, NewMessage(text="only for us"))
        events += desk.post_operator_message(conversation, operator_row, NewMessage(text="Hello Anna"))
        notifications.react(session, context, events)
    note, answer = (operator.next_matching(lambda data, n=n: data.get("is_note") is n) for n in (True, False))
    assert annas_stream.next_matching(lambda data: True).data["message_id"] == answer.data["message_id"]
    assert note.data["message_id"] < answer.data["message_id"]
    for stream in (operator, annas_stream):
        stream.close()
