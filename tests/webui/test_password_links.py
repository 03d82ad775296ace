"""Set-password links: they log the operator in once, let them choose a password, then are spent."""

from __future__ import annotations

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from bridge.context import Context
from chatcore.models import Operator
from tests.support.clock import ManualClock
from tests.support.factories import add_operator, change_operator
from tests.webui.conftest import csrf_from
from webui.auth import verify_password
from webui.password_links import make_token, operator_for

NEW_PASSWORD = "my own long passphrase"


@pytest.fixture
def nina(context: Context) -> int:
    with Session(context.engine) as session:
        operator = add_operator(session, "nina@example.com", now=context.clock.now(), name="Nina")
        session.commit()
        return operator.id or 0


def link_for(context: Context, operator_id: int) -> str:
    with Session(context.engine) as session:
        operator = session.get(Operator, operator_id)
        assert operator is not None
        return f"/set-password/{make_token(context.settings.site.secret_key, operator, context.clock.now())}"


def choose_password(client: TestClient, password: str) -> int:
    page = client.get("/inbox/profile").text
    form = {"new_password": password, "repeat_password": password, "csrf": csrf_from(page)}
    return client.post("/inbox/profile/password", data=form).status_code


def test_a_link_leads_to_the_profile_where_no_current_password_is_asked(
    client: TestClient, context: Context, nina: int
) -> None:
    response = client.get(link_for(context, nina))
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox/profile"
    assert response.headers["referrer-policy"] == "no-referrer"
    page = client.get("/inbox/profile").text
    assert 'id="welcome"' in page
    assert 'name="current_password"' not in page

    assert choose_password(client, NEW_PASSWORD) == 303
    with Session(context.engine) as session:
        operator = session.get(Operator, nina)
        assert operator is not None
        assert verify_password(operator.password_hash, NEW_PASSWORD)
    page = client.get("/inbox/profile").text
    assert 'name="current_password"' in page, "after the link is spent the current password is asked"
    assert choose_password(client, "yet another passphrase") == 422


def test_a_link_works_once(client: TestClient, context: Context, nina: int) -> None:
    link = link_for(context, nina)
    assert client.get(link).status_code == 303
    assert choose_password(client, NEW_PASSWORD) == 303
    client.cookies.clear()
    again = client.get(link)
    assert again.status_code == 410
    assert "This link has expired or was already used" in again.text
    assert client.get("/inbox/profile").status_code == 303, "the spent link logged nobody in"


def test_a_link_expires_after_72_hours(
    client: TestClient, context: Context, clock: ManualClock, nina: int
) -> None:
    link = link_for(context, nina)
    clock.advance(hours=71, minutes=59)
    with Session(context.engine) as session:
        assert operator_for(session, context.settings.site.secret_key, link.rsplit("/", 1)[1], clock.now())
    clock.advance(minutes=2)
    assert client.get(link).status_code == 410


@pytest.mark.parametrize(
    "change",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token.replace(token.split(".")[1], str(int(token.split(".")[1]) + 86400)),
        lambda token: "9" + token,
        lambda token: token.split(".", 1)[1],
        lambda token: "1.²³.abc",
        lambda token: "99999999999" + token[token.index(".") :],
    ],
)
def test_an_altered_link_is_refused(client: TestClient, context: Context, nina: int, change: object) -> None:
    token = link_for(context, nina).rsplit("/", 1)[1]
    response = client.get(f"/set-password/{change(token)}")  # type: ignore[operator]
    assert response.status_code == 410
    assert client.get("/inbox/profile").status_code == 303


def test_a_link_of_a_deactivated_operator_is_refused(client: TestClient, context: Context, nina: int) -> None:
    link = link_for(context, nina)
    change_operator(context.engine, nina, active=False)
    assert client.get(link).status_code == 410


def test_the_expired_page_speaks_russian(client: TestClient, context: Context, nina: int) -> None:
    response = client.get("/set-password/1.2.x", headers={"Accept-Language": "ru"})
    assert "Срок действия ссылки истёк" in response.text
