"""/api/v1/contacts: the card, edited field by field with bad input named, and the person's events."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from chatcore.models import Contact, ContactEvent, Conversation
from tests.webui.api_support import Team, error_of, start_conversation, team

__all__ = ["team"]


def contact_of(team: Team) -> int:
    conversation_id = start_conversation(team.context, email="ivan@example.org")
    with Session(team.context.engine) as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        return conversation.contact_id


def test_the_card_is_read_and_edited(team: Team) -> None:
    contact_id = contact_of(team)
    card = team.olga.get(f"/api/v1/contacts/{contact_id}").json()
    assert (card["name"], card["email"], card["properties"]) == ("Иван", "ivan@example.org", {})
    changed = team.olga.patch(
        f"/api/v1/contacts/{contact_id}",
        json={
            "name": "Иван Петров",
            "email": " Ivan.Petrov@Example.org ",
            "phone": "+7 (912) 345-67-89",
            "notes": "Постоянный клиент",
            "properties": {"plan": "pro", "seats": 5},
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["email"] == "ivan.petrov@example.org"
    assert (body["phone"], body["notes"], body["properties"]) == (
        "+7 (912) 345-67-89",
        "Постоянный клиент",
        {"plan": "pro", "seats": 5},
    )
    only_notes = team.olga.patch(f"/api/v1/contacts/{contact_id}", json={"notes": ""}).json()
    assert only_notes["name"] == "Иван Петров"
    assert only_notes["notes"] == ""


def test_a_bad_field_is_named_and_nothing_changes(team: Team) -> None:
    contact_id = contact_of(team)
    path = f"/api/v1/contacts/{contact_id}"
    for body, field in [
        ({"name": "Пётр", "email": "not an address"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"properties": ["a"]}, "properties"),
        ({"properties": {"nested": {"a": 1}}}, "properties.nested"),
        ({"name": "x" * 201}, "name"),
        ({"name": None}, "name"),
        ({"age": 5}, "age"),
    ]:
        assert error_of(team.olga.patch(path, json=body)) == (422, field), body
    with Session(team.context.engine) as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        assert (contact.name, contact.email, contact.phone) == ("Иван", "ivan@example.org", "")


def test_saving_the_address_clears_its_bounce_mark(team: Team) -> None:
    contact_id = contact_of(team)
    with Session(team.context.engine) as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        contact.undeliverable_at = team.context.clock.now()
        contact.undeliverable_reason = "550 no such user"
        session.add(contact)
        session.commit()
    assert (
        team.olga.get(f"/api/v1/contacts/{contact_id}").json()["undeliverable"]["reason"]
        == "550 no such user"
    )
    saved = team.olga.patch(f"/api/v1/contacts/{contact_id}", json={"email": "ivan@example.org"}).json()
    assert saved["undeliverable"] is None


def test_events_newest_first_in_pages(team: Team) -> None:
    contact_id = contact_of(team)
    start = team.context.clock.now()
    with Session(team.context.engine) as session:
        for minute, url in [(0, "/"), (2, "/pricing"), (1, "/catalog")]:
            session.add(
                ContactEvent(contact_id=contact_id, url=url, created_at=start + timedelta(minutes=minute))
            )
        session.commit()
    page = team.olga.get(f"/api/v1/contacts/{contact_id}/events?limit=2").json()
    assert [e["url"] for e in page["items"]] == ["/pricing", "/catalog"]
    rest = team.olga.get(f"/api/v1/contacts/{contact_id}/events?limit=2&before={page['next_before']}").json()
    assert [e["url"] for e in rest["items"]] == ["/"]
    assert rest["next_before"] is None
    assert error_of(team.olga.get("/api/v1/contacts/999/events")) == (404, None)
    assert error_of(team.olga.get(f"/api/v1/contacts/{contact_id}/events?limit=500")) == (422, "limit")


def test_operators_are_listed(team: Team) -> None:
    items = team.olga.get("/api/v1/operators").json()["items"]
    assert sorted((o["name"], o["role"]) for o in items) == [
        ("Anna", "admin"),
        ("Boris", "operator"),
        ("Olga", "operator"),
    ]
    assert all("password_hash" not in o for o in items)
