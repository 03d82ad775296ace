"""CSRF, checked once in middleware: a session needs its token for every unsafe request; a bearer
token without a session cookie does not; forms keep their own messages and bodies reach handlers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge.app import build_web_app
from chatcore.models import ApiToken, Attachment, Message
from tests.webui.api_support import (
    Team,
    browser_session,
    conversation_row,
    error_of,
    start_conversation,
    team,
)

__all__ = ["team"]
PDF = b"%PDF-1.4 a small file\n"


@pytest.fixture
def browser(team: Team) -> Iterator[TestClient]:
    with TestClient(
        build_web_app(team.context), base_url="http://desk.test", follow_redirects=False
    ) as client:
        yield client


def test_a_session_without_the_token_changes_nothing(team: Team, browser: TestClient) -> None:
    conversation_id = start_conversation(team.context)
    browser_session(browser, "olga@example.com")
    path = f"/api/v1/conversations/{conversation_id}/close"
    assert error_of(browser.post(path)) == (403, "csrf")
    assert error_of(browser.post(path, headers={"X-CSRF-Token": "forged"})) == (403, "csrf")
    assert conversation_row(team.context, conversation_id).status == "open"


def test_a_session_with_the_token_in_the_header_is_served(team: Team, browser: TestClient) -> None:
    conversation_id = start_conversation(team.context)
    csrf = browser_session(browser, "olga@example.com")
    response = browser.post(f"/api/v1/conversations/{conversation_id}/close", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text
    assert conversation_row(team.context, conversation_id).status == "closed"
    reply = browser.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"text": "Готово"},
        headers={"X-CSRF-Token": csrf},
    )
    assert reply.status_code == 201
    assert reply.json()["source"] == "web", "the desk's own pages post as the web"


def test_a_bearer_token_without_a_session_cookie_needs_no_csrf(team: Team) -> None:
    conversation_id = start_conversation(team.context)
    assert team.olga.post(f"/api/v1/conversations/{conversation_id}/close").status_code == 200
    reply = team.olga.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "ok"})
    assert reply.json()["source"] == "api"


def test_a_bearer_token_beside_a_session_cookie_still_needs_the_csrf_token(
    team: Team, browser: TestClient
) -> None:
    conversation_id = start_conversation(team.context)
    browser_session(browser, "boris@example.com")
    response = browser.post(
        f"/api/v1/conversations/{conversation_id}/close",
        headers={"Authorization": f"Bearer {team.olga.token}"},
    )
    assert error_of(response) == (403, "csrf")


def test_a_multipart_form_with_the_csrf_field_reaches_the_handler_whole(
    team: Team, browser: TestClient
) -> None:
    """The middleware reads the form to find the token; the handler still gets every byte."""
    conversation_id = start_conversation(team.context)
    csrf = browser_session(browser, "olga@example.com")
    response = browser.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        data={"text": "Счёт во вложении", "csrf": csrf},
        files=[("files", ("invoice.pdf", PDF, "application/pdf"))],
    )
    assert response.status_code == 201, response.text
    assert [f["name"] for f in response.json()["attachments"]] == ["invoice.pdf"]
    with Session(team.context.engine) as session:
        stored = session.exec(select(Attachment)).one()
    assert stored.size == len(PDF)
    forged = browser.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        data={"text": "again", "csrf": "forged"},
        files=[("files", ("invoice.pdf", PDF, "application/pdf"))],
    )
    assert error_of(forged) == (403, "csrf")


def test_a_page_form_is_checked_by_the_middleware_and_its_fields_still_arrive(
    team: Team, browser: TestClient
) -> None:
    csrf = browser_session(browser, "olga@example.com")
    refused = browser.post("/inbox/profile/tokens", data={"token_name": "forged"})
    assert refused.status_code == 403
    assert "The form expired" in refused.text
    created = browser.post("/inbox/profile/tokens", data={"token_name": "reports", "csrf": csrf})
    assert created.status_code == 200
    with Session(team.context.engine) as session:
        names = sorted(row.name for row in session.exec(select(ApiToken)))
    assert names == ["reports", "tests", "tests", "tests"], "the form field reached the handler"


def test_forms_that_answer_a_bad_token_themselves_keep_their_message(team: Team, browser: TestClient) -> None:
    conversation_id = start_conversation(team.context)
    browser_session(browser, "olga@example.com")
    response = browser.post(f"/inbox/{conversation_id}/reply", data={"text": "Черновик", "csrf": "forged"})
    assert response.status_code == 400
    assert "The form expired" in response.text
    assert "Черновик" in response.text, "what the operator typed is kept"
    with Session(team.context.engine) as session:
        assert [m.author_kind for m in session.exec(select(Message))] == ["visitor"]


def test_the_widget_api_is_not_checked(team: Team, browser: TestClient) -> None:
    browser_session(browser, "olga@example.com")
    response = browser.post("/api/widget/messages", json={"text": "Здравствуйте"})
    assert response.status_code == 201
