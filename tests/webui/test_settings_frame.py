"""The Settings frame: /settings leads to the right page, the header links to it, the nav by role."""

from __future__ import annotations

from sqlmodel import Session
from starlette.testclient import TestClient

from bridge.context import Context
from chatcore.models import Operator
from tests.webui.conftest import log_in


def make_admin(context: Context, operator_id: int) -> None:
    with Session(context.engine) as session:
        row = session.get(Operator, operator_id)
        assert row is not None
        row.role = "admin"
        session.commit()


def test_settings_needs_a_session(client: TestClient, operator_id: int) -> None:
    response = client.get("/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings"


def test_settings_leads_admins_to_operators_and_others_to_saved_replies(
    client: TestClient, context: Context, operator_id: int
) -> None:
    log_in(client)
    assert 'id="settings-link"' in client.get("/inbox").text
    assert client.get("/settings").headers["location"] == "/settings/saved-replies"
    make_admin(context, operator_id)
    assert client.get("/settings").headers["location"] == "/settings/operators"
