"""The desk as the API tests need it: three operators (one admin) with tokens, and conversations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from bridge.app import build_web_app
from bridge.context import Context
from chatcore import api_tokens
from chatcore.models import Conversation, Operator
from chatcore.services import Desk, NewMessage
from tests.support.factories import add_contact, add_operator
from webui.auth import hash_password

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Caller:
    """A TestClient that sends one operator's bearer token."""

    client: TestClient
    token: str
    operator_id: int

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)


@dataclass
class Team:
    olga: Caller  # an operator
    boris: Caller  # another operator
    anna: Caller  # an admin
    context: Context


def add_member(context: Context, email: str, name: str, role: str = "operator") -> tuple[int, str]:
    with Session(context.engine) as session:
        operator = add_operator(
            session, email, now=context.clock.now(), name=name, password_hash=hash_password(PASSWORD)
        )
        operator.role = role
        session.add(operator)
        _row, token = api_tokens.issue(session, operator, "tests", context.clock.now())
        session.commit()
        return operator.id or 0, token


@pytest.fixture
def team(context: Context) -> Iterator[Team]:
    members = [
        add_member(context, "olga@example.com", "Olga"),
        add_member(context, "boris@example.com", "Boris"),
        add_member(context, "anna@example.com", "Anna", role="admin"),
    ]
    with TestClient(build_web_app(context), base_url="http://desk.test", follow_redirects=False) as client:
        olga, boris, anna = (Caller(client, token, ident) for ident, token in members)
        yield Team(olga, boris, anna, context)


def start_conversation(context: Context, text: str = "Здравствуйте!", email: str = "ivan@example.org") -> int:
    """A visitor writes: one open conversation with one message; its id."""
    with Session(context.engine) as session:
        contact = add_contact(session, now=context.clock.now(), name="Иван", email=email)
        desk = Desk(session, context.clock.now())
        conversation, _ = desk.start_conversation(contact, "chat", "Доставка")
        desk.post_visitor_message(conversation, NewMessage(text=text))
        session.commit()
        return conversation.id or 0


def conversation_row(context: Context, conversation_id: int) -> Conversation:
    with Session(context.engine) as session:
        row = session.get(Conversation, conversation_id)
        assert row is not None
        return row


def deactivate(context: Context, operator_id: int) -> None:
    with Session(context.engine) as session:
        operator = session.get(Operator, operator_id)
        assert operator is not None
        operator.active = False
        session.add(operator)
        session.commit()


def browser_session(client: TestClient, email: str) -> str:
    """Log `client` in through the login form; the session's CSRF token."""
    token = _csrf(client.get("/login").text)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token})
    assert response.status_code == 303, response.text
    return _csrf(client.get("/inbox/profile").text)


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None
    return found.group(1)


def error_of(response: httpx.Response) -> tuple[int, str | None]:
    body = response.json()
    assert set(body) == {"error", "field"}, body
    assert body["error"], body
    return response.status_code, body["field"]
