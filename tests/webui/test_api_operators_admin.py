"""POST and PATCH /api/v1/operators: admins invite, change roles, deactivate; others get 403."""

from __future__ import annotations

from sqlmodel import Session, select

from chatcore.models import OutboxMail
from tests.webui.api_support import Team, error_of, team

__all__ = ["team"]
PATH = "/api/v1/operators"


def test_an_admin_invites_once_and_the_invitation_is_queued(team: Team) -> None:
    created = team.anna.post(PATH, json={"email": "Nina@example.com", "name": "Нина", "admin": False})
    assert created.status_code == 201
    assert created.json()["email"] == "nina@example.com"
    assert created.json()["role"] == "operator"
    with Session(team.context.engine) as session:
        assert session.exec(select(OutboxMail).where(OutboxMail.recipient == "nina@example.com")).all()
    assert error_of(team.anna.post(PATH, json={"email": "nina@example.com"})) == (409, "email")
    assert error_of(team.anna.post(PATH, json={"email": "nina"})) == (422, "email")
    assert error_of(team.anna.post(PATH, json={"email": "x@example.com", "role": "admin"}))[0] == 422
    assert error_of(team.olga.post(PATH, json={"email": "nina@example.com"}))[0] == 403
    assert error_of(team.olga.patch(f"{PATH}/{team.olga.operator_id}", json={"admin": True}))[0] == 403
    assert error_of(team.olga.patch(f"{PATH}/{team.boris.operator_id}", json={"active": False}))[0] == 403
    assert team.olga.get(PATH).status_code == 200, "everybody lists operators (for assigning)"
    paths = team.olga.get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths[PATH]
    assert "patch" in paths[PATH + "/{operator_id}"]


def test_deactivation_stops_the_token_at_once_and_the_last_admin_stays(team: Team) -> None:
    changed = team.anna.patch(f"{PATH}/{team.boris.operator_id}", json={"active": False, "name": "Борис"})
    assert changed.status_code == 200
    assert changed.json()["active"] is False
    assert changed.json()["name"] == "Борис"
    assert team.boris.get("/api/v1/conversations").status_code == 401
    assert team.anna.patch(f"{PATH}/{team.boris.operator_id}", json={"active": True}).status_code == 200
    assert team.boris.get("/api/v1/conversations").status_code == 200

    anna = f"{PATH}/{team.anna.operator_id}"
    assert error_of(team.anna.patch(anna, json={"admin": False})) == (422, "admin")
    assert error_of(team.anna.patch(anna, json={"active": False})) == (422, "active")
    assert team.anna.patch(f"{PATH}/{team.olga.operator_id}", json={"admin": True}).status_code == 200
    assert team.anna.patch(anna, json={"admin": False}).json()["role"] == "operator"
    assert error_of(team.anna.patch(f"{PATH}/999", json={"name": "x"}))[0] == 403, "no longer an admin"
    assert error_of(team.olga.patch(f"{PATH}/999", json={"name": "x"}))[0] == 404
