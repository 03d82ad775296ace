"""The widget API against abuse: signed visitor ids, limits per visitor and per client address (429 with
Retry-After), and the answer to a POST is the visitor's own message."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge.app import build_web_app
from bridge.context import Context
from bridge.rulebook import RuleBook, Rules
from chatcore.autoreply import load_autoreplies
from chatcore.hours import WorkingHours
from chatcore.models import Contact, Conversation
from webui.rate_limit import Rate, RateLimiter
from webui.widget import NEW_CHATS_PER_ADDRESS, PER_VISITOR

ALWAYS = [{"name": "ack", "when": "always", "trigger": "visitor_message", "text": "We got it."}]


def post(client: TestClient, text: str) -> dict[str, object]:
    response = client.post("/api/widget/messages", json={"text": text})
    assert response.status_code == 201, response.text
    message: dict[str, object] = response.json()["message"]
    return message


def shown(client: TestClient) -> list[str]:
    return [str(m["text"]) for m in client.get("/api/widget/messages").json()["messages"]]


def test_a_post_answers_with_the_visitors_own_message_not_the_autoreply(context: Context) -> None:
    answering = replace(context, rules=RuleBook(Rules(WorkingHours.always_open(), load_autoreplies(ALWAYS))))
    with TestClient(build_web_app(answering), base_url="http://desk.test") as client:
        message = post(client, "Where is my order?")
        mine = (message["text"], message["author_kind"], message["mine"])
        assert mine == ("Where is my order?", "visitor", True)
        assert shown(client) == ["Where is my order?", "We got it."]
        again = post(client, "Hello?")
        assert (again["text"], again["author_kind"]) == ("Hello?", "visitor")


def test_a_planted_or_altered_visitor_id_reads_nothing_and_gets_a_fresh_one(
    client: TestClient, context: Context
) -> None:
    post(client, "My card number is 4111")
    cookie = str(client.cookies.get("rd_visitor"))
    visitor_id, _, signature = cookie.rpartition(".")
    with Session(context.engine) as session:
        assert session.exec(select(Contact.visitor_id)).one() == visitor_id

    for planted in (visitor_id, f"{visitor_id}.{'A' * len(signature)}", "chosen-by-the-attacker-0001"):
        with TestClient(client.app, base_url="http://desk.test", cookies={"rd_visitor": planted}) as attacker:
            assert attacker.get("/api/widget/messages").json() == {"messages": [], "conversation_id": None}
            response = attacker.post("/api/widget/messages", json={"text": "Hi"})
            assert response.status_code == 201
            fresh = response.cookies["rd_visitor"]
            assert fresh.rpartition(".")[0] not in (visitor_id, planted.rpartition(".")[0])
        with TestClient(client.app, base_url="http://desk.test", cookies={"rd_visitor": fresh}) as attacker:
            assert shown(attacker) == ["Hi"]
    assert shown(client) == ["My card number is 4111"], "the signed cookie still reads its own chat"


def test_a_visitor_posting_too_fast_gets_429_with_retry_after(client: TestClient) -> None:
    # Time stands still for the bucket: on a busy machine the posts may take longer than the
    # 3 s in which PER_VISITOR regains a message (test_a_bucket_refills_with_time covers refills).
    client.app.state.widget_limits.per_visitor = RateLimiter(PER_VISITOR, clock=lambda: 0.0)  # type: ignore[attr-defined]
    for number in range(PER_VISITOR.burst):
        post(client, f"line {number}")
    refused = client.post("/api/widget/messages", json={"text": "one too many"})
    assert refused.status_code == 429
    assert refused.json() == {"error": "too many messages at once; wait a moment and send again"}
    assert int(refused.headers["Retry-After"]) >= 1
    assert "one too many" not in shown(client)


def test_new_chats_from_one_address_are_limited(client: TestClient, context: Context) -> None:
    for number in range(NEW_CHATS_PER_ADDRESS.burst):
        with TestClient(client.app, base_url="http://desk.test") as visitor:
            post(visitor, f"spam {number}")
    with TestClient(client.app, base_url="http://desk.test") as visitor:
        refused = visitor.post("/api/widget/messages", json={"text": "spam again"})
        assert refused.status_code == 429
        assert "Retry-After" in refused.headers
    with Session(context.engine) as session:
        assert len(session.exec(select(Conversation)).all()) == NEW_CHATS_PER_ADDRESS.burst
    with TestClient(build_web_app(context), base_url="http://desk.test") as other_process:
        post(other_process, "another app counts on its own")


def test_a_bucket_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(Rate(burst=2, per_second=0.5), clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a")] == [0.0, 0.0]
    assert limiter.take("a") == 2.0
    assert limiter.take("b") == 0.0, "each key has its own bucket"
    now[0] = 2.0
    assert limiter.take("a") == 0.0


def test_a_visitor_keeps_their_chat_through_a_key_rotation(client: TestClient, context: Context) -> None:
    post(client, "Before the rotation")
    cookie = str(client.cookies.get("rd_visitor"))
    old = context.settings.site.secret_key
    site = context.settings.site.model_copy(
        update={"secret_key": "rotated-0123456789abcdefghijklmnopqrstuvw", "previous_secret_keys": (old,)}
    )
    rotated = replace(context, settings=context.settings.model_copy(update={"site": site}))
    app = build_web_app(rotated)
    with TestClient(app, base_url="http://desk.test", cookies={"rd_visitor": cookie}) as again:
        assert shown(again) == ["Before the rotation"]
