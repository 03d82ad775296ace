"""Settings → Mail over HTTP: admins only (pages and API), the lists, the sandboxed original, delete
after a confirmation, retry, "retry now", and the counts on the inbox header."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge.context import Context
from chatcore.models import Conversation, Operator, OutboxMail, SpoolItem
from tests.support.factories import add_operator
from tests.webui.conftest import csrf_from
from tests.webui.mail_seed import SeededMail, hold, mail, seed_mail
from webui.auth import hash_password

PASSWORD = "settings mail password"


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def seeded(context: Context) -> SeededMail:
    with Session(context.engine) as session:
        admin = add_operator(session, "ada@example.com", now=context.clock.now(), name="Ada")
        admin.role, admin.password_hash = "admin", password_hash()
        add_operator(session, "olga@example.com", now=context.clock.now(), password_hash=password_hash())
        session.add(admin)
        session.commit()
    return seed_mail(context.engine, context.clock.now())


def sign_in(client: TestClient, email: str) -> str:
    """Logs in; returns the session's CSRF token."""
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token})
    assert response.status_code == 303
    return csrf_from(client.get("/inbox").text)


def test_an_operator_gets_403_on_every_page_and_call(client: TestClient, seeded: SeededMail) -> None:
    csrf = sign_in(client, "olga@example.com")
    held = seeded.held[0]
    for path in (
        "/settings/mail",
        f"/settings/mail/quarantine/{held}",
        f"/settings/mail/quarantine/{held}/frame",
        f"/settings/mail/quarantine/{held}/delete",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Only admins may open this page" in response.text
    for path in (
        f"/settings/mail/quarantine/{held}/retry",
        f"/settings/mail/quarantine/{held}/delete",
        f"/settings/mail/outbox/{seeded.failed}/retry",
    ):
        assert client.post(path, data={"csrf": csrf}).status_code == 403, path
    headers = {"X-CSRF-Token": csrf}
    assert client.get("/api/v1/admin/quarantine").json()["error"] == "only admins may do this"
    assert client.get("/api/v1/admin/outbox?state=failed").status_code == 403
    assert client.post(f"/api/v1/admin/quarantine/{held}/retry", headers=headers).status_code == 403
    assert client.post(f"/api/v1/admin/outbox/{seeded.failed}/retry", headers=headers).status_code == 403
    inbox = client.get("/inbox").text
    assert 'id="mail-attention"' not in inbox, "operators do not see the counts"
    with Session(client.app.state.deps.engine) as session:  # type: ignore[attr-defined]
        assert session.get(SpoolItem, held) is not None, "nothing was deleted"
    client.cookies.clear()
    assert client.get("/settings/mail").headers["location"] == "/login?next=/settings/mail"


def test_the_admin_sees_both_lists_the_counts_and_the_original(
    client: TestClient, seeded: SeededMail
) -> None:
    sign_in(client, "ada@example.com")
    inbox = client.get("/inbox").text
    assert '<a href="/settings/mail" id="mail-attention"' in inbox
    assert "2 quarantined · 2 failed" in inbox
    page = client.get("/settings/mail").text
    assert "Re: Заказ 1042" in page
    assert "Pavel Orlov &lt;pavel@home.example&gt;" in page
    assert "which is not that operator&#39;s address" in page
    assert "550 5.1.1 &lt;nobody@example.org&gt;: Recipient address rejected" in page
    assert "connection refused by 127.0.0.1:2526" in page
    assert page.index(f'id="held-{seeded.held[1]}"') < page.index(f'id="held-{seeded.held[0]}"'), (
        "newest first"
    )
    assert "given up" in page
    api = client.get("/api/v1/admin/outbox?state=failed").json()["items"]
    assert [(item["id"], item["state"], item["recipient"]) for item in api] == [
        (seeded.failed, "failed", "nobody@example.org")
    ]
    assert client.get("/api/v1/admin/outbox?state=odd").json()["field"] == "state"
    held = client.get("/api/v1/admin/quarantine?limit=1").json()
    assert held["total"] == 2
    assert [item["subject"] for item in held["items"]] == ["Weekly offers"]

    # the original, sanitized, in a sandboxed frame
    page = client.get(f"/settings/mail/quarantine/{seeded.held[1]}").text
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page
    frame = client.get(f"/settings/mail/quarantine/{seeded.held[1]}/frame")
    assert "sandbox allow-popups" in frame.headers["content-security-policy"]
    assert "Offers" in frame.text
    assert "<script" not in frame.text
    assert "alert" not in frame.text


def test_delete_asks_first(client: TestClient, seeded: SeededMail, context: Context) -> None:
    csrf = sign_in(client, "ada@example.com")
    held = seeded.held[0]
    confirm = client.get(f"/settings/mail/quarantine/{held}/delete")
    assert confirm.status_code == 200
    assert "will be deleted for good" in confirm.text
    with Session(context.engine) as session:
        assert session.get(SpoolItem, held) is not None, "asking deletes nothing"
    done = client.post(f"/settings/mail/quarantine/{held}/delete", data={"csrf": csrf})
    assert done.headers["location"] == "/settings/mail?done=deleted"
    assert "The mail is deleted." in client.get(done.headers["location"]).text
    with Session(context.engine) as session:
        assert session.get(SpoolItem, held) is None
    again = client.post(f"/settings/mail/quarantine/{held}/delete", data={"csrf": csrf})
    assert again.headers["location"] == "/settings/mail?done=gone"
    assert client.post(f"/settings/mail/quarantine/{seeded.held[1]}/delete", data={}).status_code == 403


def test_retry_lands_the_mail_and_retry_now_makes_a_failure_due(
    client: TestClient, seeded: SeededMail, context: Context
) -> None:
    csrf = sign_in(client, "ada@example.com")
    with Session(context.engine) as session:
        fixed = hold(
            session,
            mail("Anna <anna@example.org>", "support@example.com", "Где мой заказ?", "Уже неделя прошла."),
            "parse: a parser that has since been fixed",
            context.clock.now(),
        )
        empty = hold(
            session, mail("x@example.org", "support@example.com", "", ""), "store: empty", context.clock.now()
        )
        session.commit()
    done = client.post(f"/settings/mail/quarantine/{fixed}/retry", data={"csrf": csrf})
    with Session(context.engine) as session:
        conversation = session.exec(
            select(Conversation).where(Conversation.subject == "Где мой заказ?")
        ).one()
    assert done.headers["location"] == f"/settings/mail?done=landed&conversation={conversation.id}"
    assert f'href="/inbox/{conversation.id}"' in client.get(done.headers["location"]).text

    still = client.post(f"/api/v1/admin/quarantine/{empty}/retry", headers={"X-CSRF-Token": csrf})
    assert still.json()["status"] == "quarantined"
    assert "no text, subject" in still.json()["reason"]
    assert (still.json()["reason_code"], still.json()["reason_args"]) == ("nothing_to_show", {})
    again = client.post(f"/settings/mail/quarantine/{empty}/retry", data={"csrf": csrf})
    assert again.headers["location"] == "/settings/mail?done=still"

    context.clock.advance(minutes=1)  # type: ignore[attr-defined]
    now = context.clock.now()
    due = client.post(f"/settings/mail/outbox/{seeded.failed}/retry", data={"csrf": csrf})
    assert due.headers["location"] == "/settings/mail?done=due"
    with Session(context.engine) as session:
        row = session.get(OutboxMail, seeded.failed)
        assert row is not None
        assert (row.status, row.next_attempt_at, row.deadline) == ("pending", now, now + timedelta(days=2))
    api = client.post(f"/api/v1/admin/outbox/{seeded.retrying}/retry", headers={"X-CSRF-Token": csrf})
    assert api.json() == {"id": seeded.retrying, "state": "due"}
    assert client.post("/api/v1/admin/outbox/999999/retry", headers={"X-CSRF-Token": csrf}).status_code == 409


def test_many_quarantined_mails_come_in_pages(
    client: TestClient, seeded: SeededMail, context: Context
) -> None:
    with Session(context.engine) as session:
        for number in range(20):
            hold(
                session,
                mail("bulk@example.org", "support@example.com", f"Bulk {number}", "x"),
                "r",
                context.clock.now(),
            )
        session.commit()
    sign_in(client, "ada@example.com")
    first = client.get("/settings/mail").text
    assert first.count('class="held"') == 20
    assert "Page 1 of 2" in first
    assert 'class="older" href="?held=2&amp;out=1"' in first
    second = client.get("/settings/mail?held=2&out=1").text
    assert second.count('class="held"') == 2
    assert "Re: Заказ 1042" in second
    assert "Page 2 of 2" in second


def test_no_counts_on_the_header_when_nothing_needs_a_look(
    client: TestClient, seeded: SeededMail, context: Context
) -> None:
    sign_in(client, "ada@example.com")
    with Session(context.engine) as session:
        for spooled in session.exec(select(SpoolItem)):
            spooled.status = "done"
            session.add(spooled)
        for row in session.exec(select(OutboxMail)):
            row.status = "sent"
            session.add(row)
        session.commit()
    assert 'id="mail-attention"' not in client.get("/inbox").text
    page = client.get("/settings/mail").text
    assert "Nothing is in quarantine." in page
    assert "Every outgoing mail has been delivered." in page


def test_a_reason_reads_in_the_admins_language_and_one_stored_before_codes_as_it_was(
    client: TestClient, seeded: SeededMail, context: Context
) -> None:
    with Session(context.engine) as session:
        ada = session.exec(select(Operator).where(Operator.email == "ada@example.com")).one()
        ada.language = "ru"
        session.add(ada)
        session.commit()
    csrf = sign_in(client, "ada@example.com")
    with Session(context.engine) as session:
        empty = hold(
            session, mail("x@example.org", "support@example.com", "", ""), "store: empty", context.clock.now()
        )
        old = "route: the token names conversation 9, which does not exist"
        hold(session, mail("y@example.org", "support@example.com", "Old", "Old"), old, context.clock.now())
        session.commit()
    client.post(f"/api/v1/admin/quarantine/{empty}/retry", headers={"X-CSRF-Token": csrf})  # now with a code

    page = client.get("/settings/mail").text
    assert "В письме нет ни текста, ни темы, ни вложений: показывать нечего." in page
    assert "пришло от pavel@home.example, а это не адрес этого оператора" in page
    assert "Токен в адресе для ответов support+x7kq2mfzq4dtrw3aa@example.com не проходит проверку" in page
    assert "Route: the token names conversation 9, which does not exist" in page, "a row from before codes"
    assert "показывать нечего" in client.get(f"/settings/mail/quarantine/{empty}").text
    items = client.get("/api/v1/admin/quarantine").json()["items"]
    codes = {item["reason_code"] for item in items}
    assert codes == {"nothing_to_show", "not_operators_address", "token_unverified", None}
