"""/inbox/profile over HTTP: session and CSRF checks, each field's errors beside it, saved changes."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge.context import Context
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from bridge.tokens import Party, Token
from chatcore.models import Message, Operator, SpoolItem
from chatcore.services import Desk
from tests.support.factories import add_contact, add_operator
from tests.webui.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD, csrf_from, log_in
from webui.auth import verify_password

PROFILE = "/inbox/profile"


def operator_row(context: Context, operator_id: int) -> Operator:
    with Session(context.engine) as session:
        row = session.get(Operator, operator_id)
        assert row is not None
        return row


def error_beside(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" role="alert" id="{field}-error">([^<]*)</p>', html)
    assert match is not None, f"no error beside {field}"
    return match.group(1)


def details(client: TestClient, **fields: str) -> dict[str, str]:
    form = {"name": "Olga", "language": "en", "alternates": "", "notify_email": "1"}
    return {**form, **fields, "csrf": csrf_from(client.get(PROFILE).text)}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", PROFILE),
        ("POST", PROFILE),
        ("POST", f"{PROFILE}/password"),
        ("POST", f"{PROFILE}/avatar"),
    ],
)
def test_every_profile_address_needs_a_session(
    client: TestClient, operator_id: int, method: str, path: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


def test_the_header_links_to_the_profile(client: TestClient, operator_id: int) -> None:
    log_in(client)
    assert 'href="/inbox/profile"' in client.get("/inbox").text


def test_details_are_saved_and_the_page_speaks_the_new_language(
    client: TestClient, context: Context, operator_id: int
) -> None:
    log_in(client)
    form = details(
        client,
        name="  Ольга\r\nПетрова ",
        language="ru",
        alternates="Olga@Home.example\nolga@example.com, o.petrova@work.example\nolga@home.example",
        notify_email="",
    )
    response = client.post(PROFILE, data=form)
    assert response.status_code == 303
    assert response.headers["location"] == f"{PROFILE}?saved=details"

    row = operator_row(context, operator_id)
    assert row.name == "Ольга Петрова"
    assert row.language == "ru"
    assert row.alternate_emails == ["olga@home.example", "o.petrova@work.example"]
    assert row.notify_email is False
    page = client.get(f"{PROFILE}?saved=details").text
    assert "Сохранено." in page
    assert "Ваш профиль" in page
    assert 'name="notify_email" id="notify_email" value="1">' in page, "the box is shown unticked"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "x" * 101}, "name", "At most 100 characters."),
        ({"alternates": "olga at home"}, "alternates", "“olga” is not an email address."),
        ({"alternates": "ivan@example.com"}, "alternates", "ivan@example.com belongs to another operator."),
        ({"alternates": "i.alt@example.com"}, "alternates", "i.alt@example.com belongs to another operator."),
        (
            {"alternates": "support+x@example.com"},
            "alternates",
            "support+x@example.com is the desk&#39;s own address.",
        ),
        ({"alternates": " ".join(f"a{i}@example.org" for i in range(11))}, "alternates", "At most 10"),
        ({"language": "de"}, "language", "Choose English or Russian."),
    ],
)
def test_a_bad_field_is_explained_beside_it_and_nothing_changes(
    client: TestClient,
    context: Context,
    operator_id: int,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    with Session(context.engine) as session:
        add_operator(
            session, "ivan@example.com", now=context.clock.now(), alternate_emails=["i.alt@example.com"]
        )
        session.commit()
    log_in(client)
    response = client.post(PROFILE, data=details(client, **{"name": "Olga Renamed", **fields}))
    assert response.status_code == 422
    assert error_beside(response.text, field).startswith(message)
    assert operator_row(context, operator_id).name == "Olga"
    if field == "alternates":
        assert fields["alternates"] in response.text, "what was typed is kept in the field"


def test_errors_are_in_russian_for_a_russian_operator(
    client: TestClient, context: Context, operator_id: int
) -> None:
    log_in(client)
    assert client.post(PROFILE, data=details(client, language="ru")).status_code == 303
    response = client.post(PROFILE, data=details(client, language="ru", alternates="nope"))
    assert error_beside(response.text, "alternates") == "«nope» — не адрес электронной почты."


def test_a_form_without_its_csrf_token_changes_nothing(
    client: TestClient, context: Context, operator_id: int
) -> None:
    log_in(client)
    response = client.post(PROFILE, data={"name": "Mallory", "language": "en", "csrf": "forged"})
    assert response.status_code == 400
    assert error_beside(response.text, "form") == "The form expired. Please try again."
    response = client.post(
        f"{PROFILE}/password", data={"new_password": "x" * 12, "repeat_password": "x" * 12}
    )
    assert response.status_code == 400
    row = operator_row(context, operator_id)
    assert row.name == "Olga"
    assert verify_password(row.password_hash, OPERATOR_PASSWORD)


def change_password(client: TestClient, current: str | None, new: str, repeat: str | None = None) -> str:
    form = {"new_password": new, "repeat_password": new if repeat is None else repeat}
    if current is not None:
        form["current_password"] = current
    response = client.post(f"{PROFILE}/password", data={**form, "csrf": csrf_from(client.get(PROFILE).text)})
    return f"{response.status_code} {response.text}"


@pytest.mark.parametrize(
    ("current", "new", "repeat", "field", "message"),
    [
        ("wrong password", "a new long password", None, "current_password", "The current password is wrong."),
        (None, "a new long password", None, "current_password", "The current password is wrong."),
        (OPERATOR_PASSWORD, "short", None, "new_password", "At least 10 characters."),
        (
            OPERATOR_PASSWORD,
            "a new long password",
            "a different one",
            "new_password",
            "The two passwords differ.",
        ),
        (OPERATOR_PASSWORD, "x" * 1025, None, "new_password", "At most 1024 characters."),
    ],
)
def test_a_refused_password_change_says_why_and_keeps_the_old_one(
    client: TestClient,
    context: Context,
    operator_id: int,
    current: str | None,
    new: str,
    repeat: str | None,
    field: str,
    message: str,
) -> None:
    log_in(client)
    result = change_password(client, current, new, repeat)
    assert result.startswith("422 ")
    assert error_beside(result, field) == message
    assert verify_password(operator_row(context, operator_id).password_hash, OPERATOR_PASSWORD)


def test_a_changed_password_is_the_one_that_logs_in(client: TestClient, operator_id: int) -> None:
    log_in(client)
    assert change_password(client, OPERATOR_PASSWORD, "a brand new passphrase").startswith("303 ")
    client.cookies.clear()
    token = csrf_from(client.get("/login").text)
    old = client.post("/login", data={"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD, "csrf": token})
    assert old.status_code == 401
    new = client.post(
        "/login", data={"email": OPERATOR_EMAIL, "password": "a brand new passphrase", "csrf": token}
    )
    assert new.status_code == 303


def test_a_saved_alternate_address_may_answer_notifications(
    client: TestClient, context: Context, operator_id: int
) -> None:
    with Session(context.engine) as session:
        contact = add_contact(session, now=context.clock.now(), name="Anna", email="anna@example.org")
        conversation, _ = Desk(session, context.clock.now()).start_conversation(contact, "chat", "Order")
        session.commit()
        conversation_id = conversation.id or 0
    token = Token(Party.OPERATOR, conversation_id, operator_id).stamped(context.clock.now())
    reply_to = context.codec.reply_address("support@example.com", token)

    def reply(key: str) -> str:
        raw = f"From: olga@home.example\r\nTo: {reply_to}\r\nSubject: Re\r\n\r\nOn its way.\r\n".encode()
        assert store_raw(context, key, raw, None, [])
        process_pending(context)
        with Session(context.engine) as session:
            return session.exec(select(SpoolItem.status).where(SpoolItem.source_key == key)).one()

    assert reply("before") == "quarantined"
    log_in(client)
    assert client.post(PROFILE, data=details(client, alternates="olga@home.example")).status_code == 303
    assert reply("after") == "done"
    with Session(context.engine) as session:
        posted = session.exec(select(Message).where(Message.author_kind == "operator")).one()
        assert (posted.operator_id, posted.text) == (operator_id, "On its way.")


def test_sound_and_browser_notifications_are_switched_on_the_profile(
    client: TestClient, context: Context, operator_id: int
) -> None:
    log_in(client)
    page = client.get(PROFILE).text
    assert 'name="notify_sound" id="notify_sound" value="1" checked>' in page, "on by default"
    assert 'name="notify_browser" id="notify_browser" value="1" checked>' in page

    response = client.post(PROFILE, data=details(client, notify_email="1", notify_browser="1"))
    assert response.status_code == 303
    row = operator_row(context, operator_id)
    assert (row.notify_email, row.notify_sound, row.notify_browser) == (True, False, True)
    page = client.get(PROFILE).text
    assert 'name="notify_sound" id="notify_sound" value="1">' in page, "shown unticked"

    client.post(PROFILE, data=details(client, notify_email="1", notify_sound="1"))
    row = operator_row(context, operator_id)
    assert (row.notify_sound, row.notify_browser) == (True, False)
