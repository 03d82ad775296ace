"""The widget API called from another site's page: CORS for [widget].allowed_origins only, the signed visitor
id carried in the call (no cookie), the config the script reads first (mode, texts, hours, what the desk
knows of the visitor), visitors' files, and a user id whose hash does not verify."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from starlette.testclient import TestClient

from bridge import notifications
from bridge.app import build_context, build_web_app
from bridge.context import Context
from bridge.settings import SettingsError
from chatcore.models import Contact
from chatcore.services import Desk, NewMessage
from tests.conftest import make_settings
from tests.support.clock import ManualClock
from tests.support.factories import add_operator
from webui.rate_limit import Rate, RateLimiter

SHOP = "https://shop.example"
OTHER = "https://evil.example"


def widget_context(tmp_path: Path, db_url: str, engine: Engine, **widget: object) -> Context:
    settings = make_settings(
        tmp_path,
        db_url,
        widget={"allowed_origins": [SHOP], **widget},
        hours={"timezone": "UTC", "mon": ["12:00-18:00"]},
        uploads={"dir": str(tmp_path / "files"), "max_file_size": "10KB"},
    )
    return build_context(settings, clock=ManualClock(), engine=engine)  # Monday 10:00 UTC: closed


@pytest.fixture
def shop(tmp_path: Path, db_url: str, engine: Engine) -> Iterator[tuple[TestClient, Context]]:
    context = widget_context(tmp_path, db_url, engine)
    with TestClient(build_web_app(context), base_url="http://desk.test") as client:
        yield client, context


def config(client: TestClient, origin: str = SHOP, **params: str) -> dict[str, object]:
    response = client.get("/api/widget/config", params=params, headers={"Origin": origin})
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == origin
    found: dict[str, object] = response.json()
    return found


def contacts(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Contact)).one())


def test_an_allowed_site_chats_with_its_signed_visitor_id_and_no_cookie(
    shop: tuple[TestClient, Context],
) -> None:
    client, _ = shop
    preflight = client.options(
        "/api/widget/messages",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == SHOP
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers
    assert "Origin" in preflight.headers["vary"]

    first = config(client)
    visitor = str(first["visitor"])
    assert (first["mode"], first["conversation"], first["name_known"], first["email_known"]) == (
        "visible",
        False,
        False,
        False,
    )
    sent = client.post(
        "/api/widget/messages",
        json={"text": "Есть размер M?", "name": "Анна", "email": "anna@example.org", "visitor": visitor},
        headers={"Origin": SHOP},
    )
    assert sent.status_code == 201, sent.text
    assert sent.headers["access-control-allow-origin"] == SHOP
    assert sent.json()["message"]["text"] == "Есть размер M?"
    assert sent.json()["visitor"] == visitor  # the same visitor: the id came in the body

    client.cookies.clear()  # a third-party page sends no cookie: the id in the URL is what counts
    listed = client.get("/api/widget/messages", params={"visitor": visitor}, headers={"Origin": SHOP})
    assert [m["text"] for m in listed.json()["messages"]] == ["Есть размер M?"]
    again = config(client, visitor=visitor)
    assert (again["visitor"], again["conversation"], again["name_known"], again["email_known"]) == (
        visitor,
        True,
        True,
        True,
    )


def test_another_origin_gets_no_cors_headers_and_cannot_write(
    shop: tuple[TestClient, Context], engine: Engine
) -> None:
    client, _ = shop
    preflight = client.options(
        "/api/widget/messages", headers={"Origin": OTHER, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers
    posted = client.post("/api/widget/messages", json={"text": "spam"}, headers={"Origin": OTHER})
    assert posted.status_code == 403
    assert "allowed_origins" in posted.json()["error"]
    assert "access-control-allow-origin" not in posted.headers
    read = client.get("/api/widget/config", headers={"Origin": OTHER})
    assert "access-control-allow-origin" not in read.headers  # the browser keeps the answer from the page
    assert "Origin" in read.headers["vary"]
    assert contacts(engine) == 0

    # The desk's own origin (base_url, or the host the browser asked) is always allowed.
    own = client.post("/api/widget/messages", json={"text": "Hi"}, headers={"Origin": "http://desk.test"})
    assert own.status_code == 201
    with TestClient(client.app, base_url="http://127.0.0.1:8123") as direct:
        same = direct.post(
            "/api/widget/messages", json={"text": "Hi"}, headers={"Origin": "http://127.0.0.1:8123"}
        )
        assert same.status_code == 201


def test_the_config_speaks_the_pages_language_and_says_when_the_desk_opens(
    shop: tuple[TestClient, Context],
) -> None:
    client, _ = shop
    english = config(client, lang="en-GB")
    russian = config(client, lang="ru-RU")
    assert english["texts"]["send"] == "Send"  # type: ignore[index]
    assert russian["texts"]["send"] == "Отправить"  # type: ignore[index]
    assert russian["language"] == "ru"
    assert config(client, lang="de")["language"] == "en"  # [site].language
    assert english["open"] is False
    assert english["next_open"] == "2026-11-23T12:00:00+00:00"
    assert "today at 12:00" in str(english["hours_note"])
    assert "сегодня в 12:00" in str(russian["hours_note"])
    assert english["max_file_size"] == 10 * 1024


def test_modes_and_replies_the_visitor_has_not_seen(tmp_path: Path, db_url: str, engine: Engine) -> None:
    context = widget_context(tmp_path, db_url, engine, mode="hidden")
    with TestClient(build_web_app(context), base_url="http://desk.test") as client:
        visitor = str(config(client)["visitor"])
        assert config(client, visitor=visitor)["mode"] == "hidden"
        viewed = client.post(
            "/api/widget/pageviews", json={"visitor": visitor, "url": "https://shop.example/cart"}
        )
        assert viewed.status_code == 204
        with Session(engine) as session:  # an operator starts a dialog with this visitor
            olga = add_operator(session, "olga@example.com", now=context.clock.now(), name="Olga")
            contact = session.exec(
                select(Contact).where(Contact.visitor_id == visitor.rpartition(".")[0])
            ).one()
            desk = Desk(session, context.clock.now())
            conversation, events = desk.start_conversation(contact, "chat", "Your order")
            events += desk.post_operator_message(
                conversation, olga, NewMessage(text="Ваш заказ готов", source="api")
            )
            notifications.react(session, context, events)
            session.commit()
        state = config(client, visitor=visitor)
        assert (state["conversation"], state["unseen"]) == (True, 1)
        shown = client.get("/api/widget/messages", params={"visitor": visitor}).json()["messages"]
        assert [(m["author_kind"], m["author_name"], m["text"]) for m in shown] == [
            ("operator", "Olga", "Ваш заказ готов")
        ]
        assert config(client, visitor=visitor)["unseen"] == 0  # fetched: seen


def test_a_user_id_with_a_wrong_hash_is_refused(shop: tuple[TestClient, Context], engine: Engine) -> None:
    client, _ = shop
    refused = client.get(
        "/api/widget/config", params={"user_id": "42", "user_hash": "00" * 32}, headers={"Origin": SHOP}
    )
    assert refused.status_code == 403
    assert refused.json()["field"] == "user_hash"
    assert refused.headers["access-control-allow-origin"] == SHOP  # the page may read why
    posted = client.post(
        "/api/widget/messages",
        json={"text": "I am user 42", "user_id": "42", "user_hash": "bad"},
        headers={"Origin": SHOP},
    )
    assert posted.status_code == 403
    assert contacts(engine) == 0


def test_a_visitor_sends_files_up_to_the_limit(shop: tuple[TestClient, Context]) -> None:
    client, _ = shop
    visitor = str(config(client)["visitor"])
    sent = client.post(
        "/api/widget/messages",
        data={"text": "The receipt", "visitor": visitor},
        files={"files": ("receipt.txt", b"paid 100", "text/plain")},
        headers={"Origin": SHOP},
    )
    assert sent.status_code == 201, sent.text
    [file] = sent.json()["message"]["files"]
    assert (file["name"], file["size"]) == ("receipt.txt", 8)
    assert client.get(file["url"]).content == b"paid 100"
    too_big = client.post(
        "/api/widget/messages",
        data={"text": "Photo", "visitor": visitor},
        files={"files": ("photo.jpg", b"x" * (11 * 1024), "image/jpeg")},
        headers={"Origin": SHOP},
    )
    assert too_big.status_code == 413
    assert too_big.json()["field"] == "files"


def test_too_many_messages_answer_429_with_a_retry_after_the_page_can_read(
    shop: tuple[TestClient, Context],
) -> None:
    client, _ = shop
    client.app.state.widget_limits.per_visitor = RateLimiter(Rate(burst=1, per_second=0.01))  # type: ignore[attr-defined]
    visitor = str(config(client)["visitor"])
    body = {"text": "Hello", "visitor": visitor}
    assert client.post("/api/widget/messages", json=body, headers={"Origin": SHOP}).status_code == 201
    limited = client.post("/api/widget/messages", json=body, headers={"Origin": SHOP})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "Retry-After" in limited.headers["access-control-expose-headers"]


@pytest.mark.parametrize(
    ("origins", "problem"),
    [
        (["*"], '[widget].allowed_origins: "*" is a wildcard; list each origin exactly'),
        (["https://shop.example/"], '[widget].allowed_origins: "https://shop.example/" is not an origin'),
        (["shop.example"], '[widget].allowed_origins: "shop.example" is not an origin'),
    ],
)
def test_a_bad_allowed_origin_is_one_clear_line(tmp_path: Path, origins: list[str], problem: str) -> None:
    with pytest.raises(SettingsError) as raised:
        make_settings(tmp_path, "sqlite://", widget={"allowed_origins": origins})
    [line] = raised.value.problems
    assert line.startswith(problem)
