"""A web app on the test database with one operator who can log in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from bridge.app import build_web_app
from bridge.context import Context
from tests.support.factories import add_operator
from webui.auth import hash_password

OPERATOR_EMAIL = "olga@example.com"
OPERATOR_PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def operator_id(context: Context) -> int:
    with Session(context.engine) as session:
        operator = add_operator(
            session,
            OPERATOR_EMAIL,
            now=context.clock.now(),
            name="Olga",
            password_hash=hash_password(OPERATOR_PASSWORD),
        )
        session.commit()
        return operator.id or 0


@pytest.fixture
def client(context: Context) -> Iterator[TestClient]:
    with TestClient(build_web_app(context), base_url="http://desk.test", follow_redirects=False) as client:
        yield client


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match is not None, "the page has no CSRF field"
    return match.group(1)


def log_in(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD, "csrf": token}
    )
    assert response.status_code == 303
