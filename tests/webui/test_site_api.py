"""/api/v1/site: the site's server upserts contacts, records their events and writes to them as an
operator, with a site key; the widget's page views count visits and keep the first source."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from bridge.app import build_web_app
from bridge.context import Context
from bridge.notifications import NOTIFY_VISITOR
from chatcore import api_tokens, site_keys
from chatcore.models import Contact, ContactEvent, Job, SiteKey
from tests.support.clock import ManualClock
from tests.support.factories import add_operator
from tests.webui.api_support import Caller, Team, error_of
from webui.site_identity import tie_visitor, verify_user_hash
from webui.widget import WidgetLimits


@pytest.fixture
def team(context: Context) -> Iterator[Team]:
    """Two operators with API tokens and no passwords (hashing them is slow by design)."""
    with Session(context.engine) as session:
        members = []
        for email, name in (("olga@example.com", "Olga"), ("boris@example.com", "Boris")):
            operator = add_operator(session, email, now=context.clock.now(), name=name)
            _row, token = api_tokens.issue(session, operator, "tests", context.clock.now())
            members.append((operator.id or 0, token))
        session.commit()
    with TestClient(build_web_app(context), base_url="http://desk.test", follow_redirects=False) as client:
        olga, boris = (Caller(client, token, ident) for ident, token in members)
        yield Team(olga, boris, boris, context)


def new_key(team: Team, name: str = "shop") -> tuple[int, str]:
    with Session(team.context.engine) as session:
        row, key = site_keys.issue(session, name, team.context.clock.now())
        session.commit()
        return row.id or 0, key


def site(team: Team, key: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return team.olga.client.request(method, "/api/v1/site" + path, headers=headers, **kwargs)  # type: ignore[arg-type]


def contacts_with(team: Team, external_id: str) -> list[Contact]:
    with Session(team.context.engine) as session:
        return list(session.exec(select(Contact).where(Contact.external_id == external_id)))


def test_a_key_is_needed_and_a_revoked_one_stops_at_once(team: Team) -> None:
    key_id, key = new_key(team)
    body = {"name": "Ivan"}
    client = team.olga.client
    assert error_of(client.put("/api/v1/site/contacts/u-1", json=body)) == (401, None)
    assert client.put("/api/v1/site/contacts/u-1", json=body).headers["www-authenticate"].startswith("Bearer")
    assert error_of(site(team, "rds_wrong", "PUT", "/contacts/u-1", json=body)) == (401, None)
    # an operator's own token is no site key
    assert error_of(team.olga.put("/api/v1/site/contacts/u-1", json=body)) == (401, None)
    assert site(team, key, "PUT", "/contacts/u-1", json=body).status_code == 201
    with Session(team.context.engine) as session:
        row = session.get(SiteKey, key_id)
        assert row is not None
        assert row.last_used_at == team.context.clock.now()  # lists show when a key was last used
        assert site_keys.revoke(session, key_id, team.context.clock.now())
        session.commit()
    assert error_of(site(team, key, "PUT", "/contacts/u-1", json=body)) == (401, None)
    # openapi.json lists the site routes, with the site key as their only way in
    paths = team.olga.client.get("/api/v1/openapi.json").json()["paths"]
    for path, method in [
        ("/api/v1/site/contacts/{external_id}", "put"),
        ("/api/v1/site/contacts/{external_id}/events", "post"),
        ("/api/v1/site/contacts/{external_id}/messages", "post"),
    ]:
        assert paths[path][method]["security"] == [{"siteKey": []}]


def test_upsert_twice_is_one_contact_with_merged_properties(team: Team) -> None:
    _, key = new_key(team)
    first = site(
        team,
        key,
        "PUT",
        "/contacts/user-42",
        json={"name": "Иван", "email": "Ivan@Example.org", "properties": {"plan": "free", "city": "Тула"}},
    )
    assert first.status_code == 201, first.text
    assert (first.json()["external_id"], first.json()["email"]) == ("user-42", "ivan@example.org")
    assert first.json()["email_verified"] is True
    second = site(team, key, "PUT", "/contacts/user-42", json={"properties": {"plan": "pro", "city": None}})
    assert second.status_code == 200, second.text
    assert second.json()["properties"] == {"plan": "pro"}
    assert second.json()["name"] == "Иван"
    (contact,) = contacts_with(team, "user-42")
    assert contact.email_verified_at is not None
    # the operator API sees the same card
    assert team.olga.get(f"/api/v1/contacts/{contact.id}").json()["properties"] == {"plan": "pro"}
    # a verified address: the operator's message is mailed like any reply the visitor has not seen
    message = {"text": "Ваш заказ отправлен", "operator_email": "boris@example.com"}
    sent = site(team, key, "POST", "/contacts/user-42/messages", json=message)
    assert sent.status_code == 201, sent.text
    with Session(team.context.engine) as session:
        jobs = session.exec(select(Job).where(Job.kind == NOTIFY_VISITOR)).all()
        assert [job.payload["conversation_id"] for job in jobs] == [sent.json()["conversation_id"]]


def test_bad_input_is_named(team: Team) -> None:
    _, key = new_key(team)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    client = team.olga.client
    assert error_of(client.put("/api/v1/site/contacts/u-1", content=b"{not json", headers=headers)) == (
        400,
        None,
    )
    assert error_of(client.put("/api/v1/site/contacts/u-1", content=b"[1]", headers=headers)) == (400, None)
    for body, field in [
        ({"email": "not an address"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"properties": {"nested": {"a": 1}}}, "properties.nested"),
        ({"properties": {f"k{i}": i for i in range(101)}}, "properties"),
        ({"age": 5}, "age"),
    ]:
        assert error_of(site(team, key, "PUT", "/contacts/u-1", json=body)) == (422, field), body
    big = {"properties": {"note": "x" * 300_000}}
    assert error_of(site(team, key, "PUT", "/contacts/u-1", json=big)) == (413, None)
    assert contacts_with(team, "u-1") == []
    assert error_of(site(team, key, "POST", "/contacts/nobody/events", json={"name": "order"})) == (404, None)
    assert error_of(
        site(
            team,
            key,
            "POST",
            "/contacts/nobody/messages",
            json={"text": "Hi", "operator_email": "olga@example.com"},
        )
    ) == (404, None)


def test_events_are_recorded_and_listed_newest_first(team: Team) -> None:
    _, key = new_key(team)
    assert site(team, key, "PUT", "/contacts/u-7", json={"name": "Анна"}).status_code == 201
    events = "/contacts/u-7/events"
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    assert error_of(
        team.olga.client.post("/api/v1/site" + events, content=b'{"name": ', headers=headers)
    ) == (400, None)
    for body, field in [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "order", "at": "yesterday"}, "at"),
        ({"name": "order", "at": "2026-11-23T09:00:00"}, "at"),
        ({"name": "order", "at": "2030-01-01T00:00:00Z"}, "at"),
        ({"name": "order", "properties": {"items": [1, 2]}}, "properties.items"),
    ]:
        assert error_of(site(team, key, "POST", events, json=body)) == (422, field), body
    earlier = site(
        team,
        key,
        "POST",
        events,
        json={"name": "cart", "properties": {"sku": "A1"}, "at": "2026-11-23T08:00:00Z"},
    )
    assert earlier.status_code == 201, earlier.text
    later = site(team, key, "POST", events, json={"name": "order", "properties": {"total": 990}})
    assert later.json()["created_at"] == "2026-11-23T10:00:00Z"
    (contact,) = contacts_with(team, "u-7")
    page = team.olga.get(f"/api/v1/contacts/{contact.id}/events?limit=1").json()
    assert [(e["kind"], e["title"], e["properties"]) for e in page["items"]] == [
        ("event", "order", {"total": 990})
    ]
    older = team.olga.get(f"/api/v1/contacts/{contact.id}/events?limit=1&before={page['next_before']}").json()
    assert [e["title"] for e in older["items"]] == ["cart"]
    assert older["next_before"] is None


def test_an_operator_starts_a_dialog_the_widget_shows(team: Team) -> None:
    _, key = new_key(team)
    app = team.olga.client.app
    limits: WidgetLimits = app.state.widget_limits  # type: ignore[attr-defined]
    visitor_id, signed = limits.ids.new()
    client = team.olga.client
    view = {
        "visitor": signed,
        "url": "https://shop.example/?utm_source=mail",
        "title": "Shop",
        "referrer": "",
    }
    assert client.post("/api/widget/pageviews", json=view).status_code == 204
    assert (
        site(
            team, key, "PUT", "/contacts/u-9", json={"name": "Пётр", "properties": {"plan": "pro"}}
        ).status_code
        == 201
    )
    user_hash = hmac.new(key.encode(), b"u-9", hashlib.sha256).hexdigest()
    with Session(team.context.engine) as session:
        assert verify_user_hash(session, "u-9", user_hash)
        assert not verify_user_hash(session, "u-9", hmac.new(b"other", b"u-9", hashlib.sha256).hexdigest())
        assert not verify_user_hash(session, "u-10", user_hash)
        visitor = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).one()
        tied = tie_visitor(session, visitor, "u-9")
        session.commit()
        assert (tied.external_id, tied.visitor_id, tied.visits) == ("u-9", visitor_id, 1)
        assert tied.first_source["utm_source"] == "mail"
    bad = site(
        team,
        key,
        "POST",
        "/contacts/u-9/messages",
        json={"text": "Hi", "operator_email": "nobody@example.com"},
    )
    assert error_of(bad) == (422, "operator_email")
    sent = site(
        team,
        key,
        "POST",
        "/contacts/u-9/messages",
        json={"text": "Ваш заказ готов", "operator_email": "Olga@Example.com"},
    )
    assert sent.status_code == 201, sent.text
    conversation_id = sent.json()["conversation_id"]
    assert sent.json()["message"]["operator"]["name"] == "Olga"
    shown = team.olga.get(f"/api/v1/conversations/{conversation_id}").json()
    assert [(m["author_kind"], m["text"]) for m in shown["messages"]] == [("operator", "Ваш заказ готов")]
    client.cookies.set("rd_visitor", signed)
    history = client.get("/api/widget/messages").json()
    client.cookies.clear()
    assert history["conversation_id"] == conversation_id
    assert [(m["author_kind"], m["text"], m["author_name"]) for m in history["messages"]] == [
        ("operator", "Ваш заказ готов", "Olga")
    ]
    again = site(
        team,
        key,
        "POST",
        "/contacts/u-9/messages",
        json={"text": "Ещё", "operator_email": "olga@example.com"},
    )
    assert again.json()["conversation_id"] == conversation_id  # the open chat goes on


def test_page_views_count_visits_and_keep_utm(team: Team, clock: ManualClock) -> None:
    app = team.olga.client.app
    limits: WidgetLimits = app.state.widget_limits  # type: ignore[attr-defined]
    visitor_id, signed = limits.ids.new()
    client = team.olga.client

    def view(url: str, referrer: str = "") -> httpx.Response:
        return client.post(
            "/api/widget/pageviews", json={"visitor": signed, "url": url, "title": "T", "referrer": referrer}
        )

    assert (
        view(
            "https://shop.example/?utm_source=ya&utm_medium=cpc&utm_campaign=winter&x=1", "https://ya.ru/"
        ).status_code
        == 204
    )
    clock.advance(minutes=10)
    assert view("https://shop.example/cart").status_code == 204
    clock.advance(minutes=31)
    assert view("https://shop.example/?utm_source=mail").status_code == 204
    with Session(team.context.engine) as session:
        contact = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).one()
        assert contact.visits == 2
        assert contact.first_source == {
            "referrer": "https://ya.ru/",
            "utm_source": "ya",
            "utm_medium": "cpc",
            "utm_campaign": "winter",
            "url": "https://shop.example/?utm_source=ya&utm_medium=cpc&utm_campaign=winter&x=1",
        }
        assert contact.last_seen - contact.first_seen == timedelta(minutes=41)
        rows = list(
            session.exec(
                select(ContactEvent)
                .where(ContactEvent.contact_id == contact.id)
                .order_by(col(ContactEvent.id))
            )
        )
        assert [r.properties.get("utm_source") for r in rows] == ["ya", None, "mail"]
        assert rows[0].properties["referrer"] == "https://ya.ru/"
    forged = {"visitor": visitor_id + ".AAAA", "url": "https://shop.example/"}
    assert error_of(client.post("/api/widget/pageviews", json=forged)) == (422, "visitor")
    assert error_of(
        client.post("/api/widget/pageviews", json={"visitor": signed, "url": "javascript:alert(1)"})
    ) == (422, "url")
    assert error_of(client.post("/api/widget/pageviews", json={"visitor": signed, "url": 5})) == (422, "url")
    assert error_of(
        client.post("/api/widget/pageviews", content=b"{", headers={"Content-Type": "application/json"})
    ) == (400, None)
    statuses = [view("https://shop.example/").status_code for _ in range(40)]
    assert 429 in statuses
    limited = view("https://shop.example/")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    # Page views have their own budget: a visitor who browsed fast can still write.
    sent = client.post("/api/widget/messages", json={"text": "Есть размер M?", "visitor": signed})
    assert sent.status_code == 201, sent.text
