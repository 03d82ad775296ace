"""The web app over HTTP: widget API errors, login, CSRF, sessions, read marks."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge.context import Context
from chatcore.models import Conversation, Message, ReadMark
from tests.webui.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD, csrf_from, log_in

MESSAGES = "/api/widget/messages"


def visitor_writes(client: TestClient, text: str = "Здравствуйте!", **fields: str) -> int:
    response = client.post(MESSAGES, json={"text": text, **fields})
    assert response.status_code == 201, response.text
    message = response.json()["message"]
    assert (message["text"], message["author_kind"], message["mine"]) == (text.strip(), "visitor", True)
    return int(message["id"])


def only_conversation(context: Context) -> Conversation:
    with Session(context.engine) as session:
        return session.exec(select(Conversation)).one()


def test_widget_message_is_stored_and_listed(client: TestClient, context: Context) -> None:
    response = client.post(
        MESSAGES, json={"text": "Здравствуйте!", "name": "Анна", "email": "Anna@Example.org"}
    )
    assert response.status_code == 201
    assert response.json()["message"]["text"] == "Здравствуйте!"
    assert response.json()["message"]["mine"] is True
    listed = client.get(MESSAGES).json()
    assert [m["text"] for m in listed["messages"]] == ["Здравствуйте!"]
    assert listed["conversation_id"] == only_conversation(context).id


def test_another_visitor_sees_nothing(client: TestClient, context: Context) -> None:
    visitor_writes(client)
    client.cookies.clear()
    assert client.get(MESSAGES).json() == {"messages": [], "conversation_id": None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n "}, "text"),
        ({"text": "x" * 10_001}, "text"),
        ({"text": "hi", "email": "not-an-email"}, "email"),
        ({"text": "hi", "email": "a@b"}, "email"),
        ({"text": "hi", "email": "a@b.c\r\nBcc: x@y"}, "email"),
    ],
)
def test_widget_field_errors_are_json_naming_the_field(
    client: TestClient, context: Context, body: dict[str, str], field: str
) -> None:
    response = client.post(MESSAGES, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["field"] == field
    assert response.json()["error"]
    with Session(context.engine) as session:
        assert session.exec(select(Message)).all() == []


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"text=hi", "application/x-www-form-urlencoded", 415),
    ],
)
def test_widget_body_errors_are_json(
    client: TestClient, content: bytes, content_type: str, status: int
) -> None:
    response = client.post(MESSAGES, content=content, headers={"Content-Type": content_type})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]


def test_bad_after_is_a_json_error(client: TestClient) -> None:
    response = client.get(MESSAGES, params={"after": "abc"})
    assert response.status_code == 400
    assert "after" in response.json()["error"]


def test_login_with_a_wrong_password_shows_the_error_beside_the_form(
    client: TestClient, operator_id: int
) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": OPERATOR_EMAIL, "password": "wrong", "csrf": token})
    assert response.status_code == 401
    form = response.text.split("<form", 1)[1].split("</form>", 1)[0]
    assert "Wrong email or password." in form
    assert f'value="{OPERATOR_EMAIL}"' in form
    assert client.get("/inbox").status_code == 303


def test_login_with_an_unknown_email_is_the_same_401(client: TestClient, operator_id: int) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": "who@example.com", "password": "x", "csrf": token})
    assert response.status_code == 401
    assert "Wrong email or password." in response.text


@pytest.mark.parametrize("csrf", [None, "", "forged-token"])
def test_login_without_the_right_csrf_token_is_refused(
    client: TestClient, operator_id: int, csrf: str | None
) -> None:
    client.get("/login")
    data = {"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD}
    if csrf is not None:
        data["csrf"] = csrf
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert "The form expired" in response.text
    assert client.get("/inbox").status_code == 303


def test_login_goes_to_next_but_never_off_site(client: TestClient, operator_id: int) -> None:
    for target, expected in [("/inbox?status=closed", "/inbox?status=closed"), ("//evil.test/x", "/inbox")]:
        client.cookies.clear()
        token = csrf_from(client.get("/login").text)
        response = client.post(
            "/login",
            data={"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD, "csrf": token, "next": target},
        )
        assert response.status_code == 303
        assert response.headers["location"] == expected


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/inbox"),
        ("GET", "/inbox?status=closed"),
        ("GET", "/inbox/1"),
        ("POST", "/inbox/1/reply"),
        ("GET", "/"),
    ],
)
def test_inbox_pages_redirect_to_login_without_a_session(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login") or response.headers["location"] == "/inbox"


def test_inbox_redirects_carry_the_page_to_return_to(client: TestClient) -> None:
    assert client.get("/inbox/7").headers["location"] == "/login?next=/inbox/7"


def test_reply_without_the_right_csrf_token_is_refused(
    client: TestClient, context: Context, operator_id: int
) -> None:
    visitor_writes(client, email="anna@example.org")
    conversation = only_conversation(context)
    log_in(client)
    for data in ({"text": "Hello"}, {"text": "Hello", "csrf": "forged"}):
        response = client.post(f"/inbox/{conversation.id}/reply", data=data)
        assert response.status_code == 400
        assert "The form expired" in response.text
    with Session(context.engine) as session:
        assert [m.author_kind for m in session.exec(select(Message))] == ["visitor"]


def test_reply_with_the_token_is_posted(client: TestClient, context: Context, operator_id: int) -> None:
    visitor_writes(client, email="anna@example.org")
    conversation = only_conversation(context)
    log_in(client)
    token = csrf_from(client.get(f"/inbox/{conversation.id}").text)
    empty = client.post(f"/inbox/{conversation.id}/reply", data={"text": "  ", "csrf": token})
    assert empty.status_code == 422
    assert "Write a reply first." in empty.text
    response = client.post(f"/inbox/{conversation.id}/reply", data={"text": "Hello, Anna", "csrf": token})
    assert response.status_code == 303
    assert [m["text"] for m in client.get(MESSAGES).json()["messages"]] == ["Здравствуйте!", "Hello, Anna"]


def test_viewing_a_dialog_marks_it_read(client: TestClient, context: Context, operator_id: int) -> None:
    visitor_writes(client, "one")
    last = visitor_writes(client, "two")
    conversation = only_conversation(context)
    log_in(client)

    inbox = client.get("/inbox").text
    assert '<span class="badge">2</span>' in inbox
    page = client.get(f"/inbox/{conversation.id}")
    assert page.status_code == 200
    assert "one" in page.text
    assert "two" in page.text
    with Session(context.engine) as session:
        mark = session.get(ReadMark, (operator_id, conversation.id))
        assert mark is not None
        assert mark.last_read_message_id == last
    assert 'class="badge"' not in client.get("/inbox").text


def test_unknown_dialog_is_404(client: TestClient, operator_id: int) -> None:
    log_in(client)
    assert client.get("/inbox/999").status_code == 404
