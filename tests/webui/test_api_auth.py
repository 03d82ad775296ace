"""Who may call /api/v1: a live token or a session of an active operator; everybody else gets 401 JSON.
Also the shape of refusals every route shares (bad ids, bodies, routes) and openapi.json."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select
from starlette.routing import Route
from starlette.testclient import TestClient

from bridge.app import build_web_app
from chatcore.models import ApiToken
from tests.webui.api_support import (
    Team,
    browser_session,
    deactivate,
    error_of,
    start_conversation,
    team,
)
from webui.api.registry import PREFIX, api_routes

__all__ = ["team"]
ROUTES = [(route.method, PREFIX + route.path) for route in api_routes()]


def concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "1", path)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_refuses_an_anonymous_caller(team: Team, method: str, path: str) -> None:
    start_conversation(team.context)
    with TestClient(build_web_app(team.context)) as anonymous:
        response = anonymous.request(method, concrete(path), json={"text": "x"})
        assert error_of(response) == (401, None)
        assert "items" not in response.text
        assert "Иван" not in response.text
        forged = anonymous.request(method, concrete(path), headers={"Authorization": "Bearer rdk_forged"})
        assert error_of(forged) == (401, None)
        assert forged.headers["www-authenticate"].startswith("Bearer")


def test_a_token_works_until_it_is_revoked_on_the_profile_page(team: Team) -> None:
    assert team.olga.get("/api/v1/operators").status_code == 200
    with TestClient(build_web_app(team.context), follow_redirects=False) as browser:
        csrf = browser_session(browser, "olga@example.com")
        page = browser.get("/inbox/profile").text
        token_id = re.search(r'data-token-id="(\d+)"', page)
        assert token_id is not None, "the profile lists the token"
        revoked = browser.post(f"/inbox/profile/tokens/{token_id.group(1)}/revoke", data={"csrf": csrf})
        assert revoked.status_code == 303
        assert 'data-token-id="' not in browser.get("/inbox/profile").text
    assert error_of(team.olga.get("/api/v1/operators")) == (401, None)


def test_a_token_is_stored_as_its_hash_and_its_use_is_noted(team: Team) -> None:
    team.olga.get("/api/v1/operators")
    with Session(team.context.engine) as session:
        row = session.exec(select(ApiToken).where(ApiToken.operator_id == team.olga.operator_id)).one()
    assert team.olga.token not in (row.token_sha256, row.name)
    assert row.last_used_at == team.context.clock.now()


def test_a_deactivated_operator_is_refused_by_token_and_by_session(team: Team) -> None:
    with TestClient(build_web_app(team.context), follow_redirects=False) as browser:
        browser_session(browser, "boris@example.com")
        assert browser.get("/api/v1/operators").status_code == 200
        deactivate(team.context, team.boris.operator_id)
        assert error_of(browser.get("/api/v1/operators")) == (401, None)
    assert error_of(team.boris.get("/api/v1/operators")) == (401, None)


def test_a_wrong_token_is_refused_even_beside_a_valid_session(team: Team) -> None:
    with TestClient(build_web_app(team.context), follow_redirects=False) as browser:
        browser_session(browser, "olga@example.com")
        response = browser.get("/api/v1/operators", headers={"Authorization": "Bearer rdk_nope"})
        assert error_of(response) == (401, None)
        basic = browser.get("/api/v1/operators", headers={"Authorization": "Basic b2xnYTp4"})
        assert error_of(basic) == (401, None)


@pytest.mark.parametrize("ident", ["0", "-1", "abc", "99999999999999999999999999999999", "2147483648"])
def test_an_id_that_names_nothing_is_404_not_a_crash(team: Team, ident: str) -> None:
    for path in (f"/api/v1/conversations/{ident}", f"/api/v1/contacts/{ident}"):
        assert error_of(team.olga.get(path)) == (404, None)
    assert error_of(team.olga.post(f"/api/v1/conversations/{ident}/close")) == (404, None)
    assert error_of(team.olga.patch(f"/api/v1/saved-replies/{ident}", json={"title": "x"})) == (404, None)


def test_unknown_routes_and_methods_answer_in_json(team: Team) -> None:
    assert error_of(team.olga.get("/api/v1/nothing-here")) == (404, None)
    assert error_of(team.olga.delete("/api/v1/operators")) == (405, None)


def test_bodies_that_are_not_json_objects_are_refused(team: Team) -> None:
    conversation_id = start_conversation(team.context)
    path = f"/api/v1/conversations/{conversation_id}/tags"
    assert (
        error_of(team.olga.post(path, content=b"[1]", headers={"Content-Type": "application/json"}))[0] == 400
    )
    assert (
        error_of(team.olga.post(path, content=b"{nope", headers={"Content-Type": "application/json"}))[0]
        == 400
    )
    assert (
        error_of(team.olga.post(path, content=b"NaN", headers={"Content-Type": "application/json"}))[0] == 400
    )
    assert error_of(team.olga.post(path, content=b"name=x", headers={"Content-Type": "text/plain"}))[0] == 415
    huge = b'{"name": "' + b"x" * 400_000 + b'"}'
    assert (
        error_of(team.olga.post(path, content=huge, headers={"Content-Type": "application/json"}))[0] == 413
    )
    assert error_of(team.olga.post(path, json={"name": 5})) == (422, "name")
    assert error_of(team.olga.post(path, json={"name": "vip", "colour": "red"})) == (422, "colour")
    assert error_of(team.olga.post(path, json={})) == (422, "name")


def test_openapi_describes_every_api_route_of_the_app(team: Team) -> None:
    with TestClient(build_web_app(team.context)) as anonymous:
        response = anonymous.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    app = build_web_app(team.context)
    served = {
        (method.lower(), route.path)
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/api/v1/")
        for method in (route.methods or set()) - {"HEAD"}
    }
    described = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert len(served) >= len(ROUTES) + 1
    assert served <= described
    tags = document["paths"]["/api/v1/conversations/{conversation_id}/tags"]["post"]
    schema_name = tags["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert document["components"]["schemas"][schema_name]["required"] == ["name"]
