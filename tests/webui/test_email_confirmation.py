"""An address typed into the chat gets one confirmation mail; only its owner's click makes it one the
desk writes to, and mail from it never shows in the chat of a visitor who merely claimed it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge.context import Context
from chatcore.contacts import can_email
from chatcore.identity import verified_contact
from chatcore.models import Contact
from tests.support.confirm import confirm, confirmation_path
from tests.support.factories import add_contact
from tests.support.mail import SentMail, recipient

ANNA = "anna@example.org"


@pytest.fixture
def outbox(context: Context, tmp_path: Path) -> SentMail:
    return SentMail(context, tmp_path / "sent")


def contact_of(context: Context, visitor_cookie: str) -> Contact:
    with Session(context.engine) as session:
        visitor_id = visitor_cookie.rpartition(".")[0]  # the cookie is `<id>.<signature>`
        return session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).one()


def claim(client: TestClient, address: str, text: str = "Hello") -> str:
    posted = client.post("/api/widget/messages", json={"text": text, "email": address})
    assert posted.status_code == 201, posted.text
    return str(client.cookies.get("rd_visitor"))


def test_the_owner_confirms_a_claimed_address_by_pressing_the_button(
    client: TestClient, context: Context, outbox: SentMail
) -> None:
    visitor = claim(client, ANNA.upper())
    assert contact_of(context, visitor).email == ANNA
    assert not can_email(contact_of(context, visitor)), "a claim is not written to"
    path = confirmation_path(outbox, ANNA)

    assert "Confirm your email address" in client.get(path).text
    assert not can_email(contact_of(context, visitor)), "opening the link (a mail scanner) is not enough"
    assert "Address confirmed" in confirm(client, path)
    assert can_email(contact_of(context, visitor))


def test_a_claim_sends_one_confirmation_per_address_a_day_with_a_fixed_subject(
    context: Context, outbox: SentMail, client: TestClient
) -> None:
    claim(client, ANNA, text="Buy cheap pills at spam.example")
    claim(client, ANNA, text="again")
    with TestClient(client.app, base_url="http://desk.test") as other:
        claim(other, ANNA, text="and from another browser")
    [mail] = [m for m in outbox.tick() if recipient(m) == ANNA]
    assert str(mail["Subject"]) == "Confirm your email address for Relaydesk"
    assert "pills" not in mail.as_string()


def test_a_link_that_was_altered_or_is_for_an_older_claim_confirms_nothing(
    client: TestClient, context: Context, outbox: SentMail
) -> None:
    visitor = claim(client, ANNA)
    path = confirmation_path(outbox, ANNA)
    assert client.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB")).status_code == 404
    claim(client, "anna@example.net")  # the visitor changed their mind: the old link is void
    assert client.get(path).status_code == 404
    # refused either way: by the CSRF middleware (the page visits gave the browser a session) or as void
    assert client.post(path, data={"csrf": "x"}).status_code in (403, 404)
    assert contact_of(context, visitor).email_verified_at is None


def test_confirming_an_address_known_from_mail_joins_the_two_contacts(
    client: TestClient, context: Context, outbox: SentMail
) -> None:
    with Session(context.engine) as session:
        by_mail = add_contact(session, now=context.clock.now(), email=ANNA, name="Anna by mail")
        session.commit()
        mail_contact_id = by_mail.id
    visitor = claim(client, ANNA, text="Hi from the chat")
    confirm(client, confirmation_path(outbox, ANNA))
    with Session(context.engine) as session:
        holder = verified_contact(session, ANNA)
        assert holder is not None
        assert holder.id == mail_contact_id
        assert holder.visitor_id == visitor.rpartition(".")[0]
    shown = client.get("/api/widget/messages").json()
    assert [m["text"] for m in shown["messages"]] == ["Hi from the chat"]


@pytest.mark.parametrize("address", ["anna@localhost", "anna@example..org", "x" * 250 + "@example.org"])
def test_the_chat_refuses_what_the_desk_could_not_store_beside_the_email_field(
    client: TestClient, context: Context, address: str
) -> None:
    posted = client.post("/api/widget/messages", json={"text": "Hello", "email": address})
    assert posted.status_code == 422
    assert posted.json() == {"error": "this does not look like an email address", "field": "email"}
    with Session(context.engine) as session:
        assert session.exec(select(Contact)).all() == []
