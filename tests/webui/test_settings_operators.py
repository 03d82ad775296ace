"""Settings → Operators over HTTP: invite, roles, deactivation, the last admin, and the same in the API."""

from __future__ import annotations

import re

from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge.context import Context
from chatcore.models import Operator, OutboxMail
from chatcore.services import Desk
from tests.support.factories import add_contact, add_operator
from tests.webui.conftest import csrf_from, log_in
from tests.webui.test_settings_frame import make_admin

PAGE = "/settings/operators"


def operator_named(context: Context, email: str) -> Operator:
    with Session(context.engine) as session:
        row = session.exec(select(Operator).where(Operator.email == email)).first()
        assert row is not None
        return row


def add_pavel(context: Context) -> int:
    with Session(context.engine) as session:
        pavel = add_operator(session, "pavel@example.com", now=context.clock.now(), name="Pavel")
        session.commit()
        return pavel.id or 0


def assigned_to(context: Context, operator_id: int) -> int:
    with Session(context.engine) as session:
        contact = add_contact(session, now=context.clock.now(), name="Иван", email="ivan@example.org")
        desk = Desk(session, context.clock.now())
        conversation, _ = desk.start_conversation(contact, "chat", "Доставка")
        assignee = session.get(Operator, operator_id)
        assert assignee is not None
        desk.assign(conversation, assignee)
        session.commit()
        return conversation.id or 0


def admin_client(client: TestClient, context: Context, operator_id: int) -> str:
    make_admin(context, operator_id)
    log_in(client)
    return csrf_from(client.get(PAGE).text)


def test_an_admin_invites_and_the_invitation_is_queued(
    client: TestClient, context: Context, operator_id: int
) -> None:
    csrf = admin_client(client, context, operator_id)
    response = client.post(
        PAGE, data={"csrf": csrf, "email": " Nina@Example.com ", "name": "Nina", "admin": "1"}
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "Invitation sent to nina@example.com" in page
    rows = dict(re.findall(r'<tr id="operator-(\d+)"(.*?)</tr>', page, re.S))
    assert "never" not in rows[str(operator_id)], "the admin is seen as they use the pages"
    assert "never" in next(row for row in rows.values() if "nina@example.com" in row)
    nina = operator_named(context, "nina@example.com")
    assert nina.role == "admin"
    assert nina.password_hash == ""
    with Session(context.engine) as session:
        mails = session.exec(select(OutboxMail).where(OutboxMail.recipient == "nina@example.com")).all()
    assert len(mails) == 1

    again = client.post(PAGE, data={"csrf": csrf, "email": "nina@example.com"})
    assert again.status_code == 409
    assert re.search(r'id="email-error">[^<]*exists already', again.text)
    bad = client.post(PAGE, data={"csrf": csrf, "email": "nina"})
    assert client.post(PAGE, data={"email": "x@example.com"}).status_code == 403, "no CSRF token"
    assert bad.status_code == 422
    assert 'id="email-error"' in bad.text
    assert 'value="nina"' in bad.text


def test_deactivation_keeps_dialogs_reactivation_lets_in_and_the_last_admin_stays(
    client: TestClient, context: Context, operator_id: int
) -> None:
    csrf = admin_client(client, context, operator_id)
    pavel = add_pavel(context)
    conversation = assigned_to(context, pavel)
    before = operator_named(context, "pavel@example.com").session_version
    assert client.post(f"{PAGE}/{pavel}/active", data={"csrf": csrf}).status_code == 303
    row = operator_named(context, "pavel@example.com")
    assert not row.active
    assert row.session_version > before
    page = client.get(PAGE).text
    assert re.search(rf'<tr id="operator-{pavel}"[^>]*class="deactivated"', page)
    assert "1 open dialog still assigned" in page
    dialog = client.get(f"/inbox/{conversation}").text
    assert re.search(
        r'<option value="\d+" selected disabled id="assignee-deactivated">Pavel \(deactivated\)', dialog
    )
    assert client.post(f"{PAGE}/{pavel}/active", data={"csrf": csrf, "active": "1"}).status_code == 303
    assert operator_named(context, "pavel@example.com").active
    for action, data in (("role", {}), ("active", {})):
        response = client.post(f"{PAGE}/{operator_id}/{action}", data={"csrf": csrf, **data})
        assert response.status_code == 422
        assert "needs an active admin" in response.text
    assert operator_named(context, "olga@example.com").role == "admin"
    assert client.post(f"{PAGE}/{pavel}/role", data={"csrf": csrf, "admin": "1"}).status_code == 303
    assert client.post(f"{PAGE}/{operator_id}/role", data={"csrf": csrf}).status_code == 303
    assert operator_named(context, "olga@example.com").role == "operator"
    assert client.get(PAGE).status_code == 403  # no longer an admin
