"""The Settings frame: /settings leads to the right page, the header links to it, the nav by role."""

from __future__ import annotations

import re

from sqlmodel import Session
from starlette.testclient import TestClient

from bridge.context import Context
from chatcore.models import Operator
from tests.webui.conftest import csrf_from, log_in


def make_admin(context: Context, operator_id: int) -> None:
    with Session(context.engine) as session:
        row = session.get(Operator, operator_id)
        assert row is not None
        row.role = "admin"
        session.commit()


ADMIN_PAGES = (
    "/settings/operators",
    "/settings/tags",
    "/settings/mail",
    "/settings/hours",
    "/settings/site-keys",
)
ADMIN_FORMS = (
    "/settings/operators",
    "/settings/operators/1/role",
    "/settings/operators/1/active",
    "/settings/operators/1/resend",
    "/settings/tags/billing",
    "/settings/tags/billing/merge",
    "/settings/tags/billing/delete",
)


def test_settings_is_for_operators_and_its_admin_pages_for_admins(
    client: TestClient, context: Context, operator_id: int
) -> None:
    response = client.get("/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings"
    log_in(client)
    csrf = csrf_from(client.get("/settings/saved-replies").text)
    nav = client.get("/settings/saved-replies").text
    assert 'id="settings-nav-saved-replies"' in nav
    assert 'id="settings-nav-operators"' not in nav
    for path in ADMIN_PAGES:
        page = client.get(path)
        assert page.status_code == 403, path
        assert 'id="forbidden"' in page.text
    for path in ADMIN_FORMS:
        assert client.post(path, data={"csrf": csrf, "admin": "1", "active": "1"}).status_code == 403, path
    assert client.get("/settings/tags", headers={"accept": "application/json"}).json()["error"]
    with Session(context.engine) as session:
        row = session.get(Operator, operator_id)
        assert row is not None
        assert row.role == "operator"
    assert 'id="settings-link"' in client.get("/inbox").text
    assert client.get("/settings").headers["location"] == "/settings/saved-replies"
    make_admin(context, operator_id)
    assert client.get("/settings").headers["location"] == "/settings/operators"
    admin_nav = client.get("/settings/tags").text
    keys = re.findall(r'id="settings-nav-([a-z-]+)"', admin_nav)
    assert keys == ["operators", "saved-replies", "tags", "mail", "hours", "site-keys"]
    assert re.search(r'id="settings-nav-tags" aria-current="page"', admin_nav)
