"""The desk's pages over HTTP on each database: sessions, CSRF, bad input beside its field, 404s,
cursor pages, plural forms, personal saved replies."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge.context import Context
from chatcore.models import Contact, Conversation, Operator, SavedReply, Source
from chatcore.services import Desk, NewMessage
from tests.support.factories import add_contact, add_operator
from tests.webui.conftest import csrf_from, log_in


def dialog_with(context: Context, name: str = "Анна", messages: int = 1) -> int:
    with Session(context.engine) as session:
        now = context.clock.now()
        contact = add_contact(session, now=now, name=name, email=f"{name.lower()}@example.org")
        desk = Desk(session, now)
        conversation, _ = desk.start_conversation(contact, Source.CHAT, f"About {name}")
        for number in range(messages):
            desk.post_visitor_message(conversation, NewMessage(f"Message {number}", Source.CHAT))
        session.commit()
        return conversation.id or 0


def token_of(client: TestClient, path: str = "/inbox") -> str:
    return csrf_from(client.get(path).text)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/inbox/rows"),
        ("GET", "/inbox/contacts/1"),
        ("POST", "/inbox/1/close"),
        ("POST", "/inbox/1/tags"),
        ("POST", "/inbox/1/assignee"),
        ("POST", "/inbox/1/contact"),
    ],
)
def test_every_desk_route_wants_a_session(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_the_list_link_keeps_its_filters_through_login(client: TestClient, operator_id: int) -> None:
    assert (
        client.get("/inbox?tag=vip&unread=1").headers["location"]
        == "/login?next=/inbox%3Ftag%3Dvip%26unread%3D1"
    )


def test_a_filter_form_lands_on_the_canonical_url(client: TestClient, operator_id: int) -> None:
    log_in(client)
    response = client.get("/inbox?assignee=&tag=&tag=Billing&status=open")
    assert (response.status_code, response.headers["location"]) == (303, "/inbox?tag=billing")


def test_actions_without_the_csrf_token_change_nothing(
    client: TestClient, context: Context, operator_id: int
) -> None:
    conversation_id = dialog_with(context)
    log_in(client)
    for action, data in [("close", {}), ("tags", {"tag": "vip"}), ("assignee", {"assign_me": "1"})]:
        assert (
            client.post(f"/inbox/{conversation_id}/{action}", data={**data, "csrf": "forged"}).status_code
            == 403
        )
    typed = client.post(f"/inbox/{conversation_id}/reply", data={"text": "My long answer", "csrf": "forged"})
    assert typed.status_code == 400
    assert ">My long answer</textarea>" in typed.text
    fetched = client.post(
        f"/inbox/{conversation_id}/contact",
        data={"email": "a@b.org"},
        headers={"Accept": "application/json", "X-CSRF-Token": "forged"},
    )
    assert fetched.status_code == 403
    with Session(context.engine) as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        assert (conversation.status, conversation.assignee_id) == ("open", None)
        assert session.exec(select(Contact)).one().email == "анна@example.org"


def test_actions_change_the_dialog_and_come_back_to_the_same_list(
    client: TestClient, context: Context, operator_id: int
) -> None:
    conversation_id = dialog_with(context)
    log_in(client)
    token = token_of(client)
    view = "?tag=vip&awaiting=1"
    tagged = client.post(f"/inbox/{conversation_id}/tags", data={"tag": "VIP", "csrf": token, "view": view})
    assert tagged.headers["location"] == f"/inbox/{conversation_id}?tag=vip&awaiting=1"
    closed = client.post(f"/inbox/{conversation_id}/close", data={"csrf": token, "view": "?javascript:x"})
    assert closed.headers["location"] == f"/inbox/{conversation_id}?done=closed", "the view is re-spelled"
    client.post(
        f"/inbox/{conversation_id}/assignee", data={"assign_me": "1", "assignee": "none", "csrf": token}
    )
    with Session(context.engine) as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        assert (conversation.status, conversation.assignee_id) == ("closed", operator_id)
        assert Desk(session, context.clock.now()).tags_of(conversation) == ["vip"]
    refused = client.post(f"/inbox/{conversation_id}/tags", data={"tag": "no way!", "csrf": token})
    assert refused.status_code == 422
    assert 'value="no way!"' in refused.text
    assert "A tag is one word" in refused.text


def test_unknown_dialogs_and_people_are_404(client: TestClient, operator_id: int) -> None:
    log_in(client)
    token = token_of(client)
    assert client.get("/inbox/999").status_code == 404
    assert client.get("/inbox/contacts/999").status_code == 404
    assert client.post("/inbox/999/close", data={"csrf": token}).status_code == 404
    assert client.post("/inbox/999/contact", data={"name": "X", "csrf": token}).status_code == 404
    for huge in ("2147483648", "99999999999999999999999999"):
        assert client.get(f"/inbox/{huge}").status_code == 404
        assert client.get(f"/inbox/contacts/{huge}").status_code == 404
        assert client.post(f"/inbox/{huge}/close", data={"csrf": token}).status_code == 404


def test_the_card_refuses_a_bad_email_beside_the_field_and_keeps_it(
    client: TestClient, context: Context, operator_id: int
) -> None:
    conversation_id = dialog_with(context)
    log_in(client)
    token = token_of(client, f"/inbox/{conversation_id}")
    form = {"name": "Анна К.", "email": "anna at example", "phone": "", "notes": "VIP", "csrf": token}
    refused = client.post(f"/inbox/{conversation_id}/contact", data=form)
    assert refused.status_code == 422
    card = refused.text.split('id="card-form"', 1)[1].split("</form>", 1)[0]
    assert 'value="anna at example"' in card
    assert re.search(
        r'<p class="error" role="alert" id="card-email-error">\s*This is not an email address', card
    )
    assert 'value="Анна К."' in card, "the other fields keep what was typed too"
    as_json = client.post(
        f"/inbox/{conversation_id}/contact",
        data={"phone": "call me"},
        headers={"Accept": "application/json", "X-CSRF-Token": token},
    )
    assert as_json.status_code == 422
    assert as_json.json()["field"] == "phone"
    saved = client.post(f"/inbox/{conversation_id}/contact", data={**form, "email": "Anna@Example.ORG"})
    assert saved.status_code == 303
    with Session(context.engine) as session:
        contact = session.exec(select(Contact)).one()
        assert (contact.name, contact.email, contact.notes) == ("Анна К.", "anna@example.org", "VIP")


def test_rows_come_in_cursor_pages_and_a_bad_cursor_is_400(
    client: TestClient, context: Context, operator_id: int
) -> None:
    for number in range(35):
        dialog_with(context, f"Visitor{number:02}")
        context.clock.advance(minutes=1)  # type: ignore[attr-defined]
    log_in(client)
    first = client.get("/inbox").text
    assert first.count('<li class="row') == 30
    [more] = re.findall(r'data-rows="([^"]+)"', first)
    rest = client.get(more.replace("&amp;", "&"))
    assert rest.status_code == 200
    assert rest.text.count('<li class="row') == 5
    assert "Visitor34" in first
    assert "Visitor00" in rest.text
    assert 'id="more"' not in rest.text
    assert client.get("/inbox/rows?cursor=not-a-cursor").status_code == 400


def test_russian_counts_take_the_plural_form_of_their_number(
    client: TestClient, context: Context, operator_id: int
) -> None:
    for name, count in [("Один", 1), ("Два", 2), ("Пять", 5), ("Двадцать", 21)]:
        dialog_with(context, name, count)
    with Session(context.engine) as session:
        olga = session.get(Operator, operator_id)
        assert olga is not None
        olga.language = "ru"
        session.add(olga)
        session.commit()
    log_in(client)
    page = client.get("/inbox").text
    counts = re.findall(r'<span class="message-count" title="[^"]*">([^<]+)</span>', page)
    assert sorted(counts) == ["1 сообщение", "2 сообщения", "21 сообщение", "5 сообщений"]
    assert "Без ответственного" in page


def test_a_personal_saved_reply_is_seen_by_its_author_alone(
    client: TestClient, context: Context, operator_id: int
) -> None:
    conversation_id = dialog_with(context)
    log_in(client)
    token = token_of(client, f"/inbox/{conversation_id}")
    form = {"text": "Мой личный шаблон", "action": "save-reply", "reply_title": "Личное", "csrf": token}
    saved = client.post(f"/inbox/{conversation_id}/reply", data=form)
    assert saved.status_code == 200
    assert "The saved reply is added." in saved.text
    assert ">Мой личный шаблон</textarea>" in saved.text, "the text stays in the composer"
    with Session(context.engine) as session:
        reply = session.exec(select(SavedReply)).one()
        assert (reply.title, reply.shared, reply.owner_id) == ("Личное", False, operator_id)
        add_operator(session, "pavel@example.com", now=context.clock.now(), password_hash=olga_hash(session))
        session.commit()
    assert 'data-title="Личное"' in client.get(f"/inbox/{conversation_id}").text
    client.cookies.clear()
    login = csrf_from(client.get("/login").text)
    client.post(
        "/login",
        data={"email": "pavel@example.com", "password": "correct horse battery staple", "csrf": login},
    )
    assert 'data-title="Личное"' not in client.get(f"/inbox/{conversation_id}").text


def olga_hash(session: Session) -> str:
    return session.exec(select(Operator)).first().password_hash  # type: ignore[union-attr]


def statements_for(client: TestClient, context: Context, path: str) -> int:
    """How many SQL statements one request runs (on every engine the app holds)."""
    counted: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        counted.append(statement)

    engines = {context.engine, getattr(context, "read_engine", None) or context.engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    return len(counted)


def test_the_pages_run_as_many_statements_for_3_dialogs_as_for_30(
    client: TestClient, context: Context, operator_id: int
) -> None:
    first = dialog_with(context, "First", 3)
    for number in range(2):
        dialog_with(context, f"Few{number}")
    log_in(client)
    client.get(f"/inbox/{first}")  # the first visit writes the read mark; later ones only read it
    few = (statements_for(client, context, "/inbox"), statements_for(client, context, f"/inbox/{first}"))
    for number in range(27):
        dialog_with(context, f"Many{number}", 2)
    many = (statements_for(client, context, "/inbox"), statements_for(client, context, f"/inbox/{first}"))
    assert many == few
    print(f"statements per request: /inbox {many[0]}, /inbox/ID {many[1]}")
