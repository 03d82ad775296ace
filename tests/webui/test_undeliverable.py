"""The dialog page says when the visitor's address bounced, in English and Russian, and lets the operator
correct it; a corrected address gets email again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge.context import Context
from chatcore.models import Contact, Conversation, Operator
from tests.support.bounces import bounce_back, last_outbox_to
from tests.support.mail import SentMail, recipient, text_of
from tests.webui.conftest import csrf_from, log_in

ANNA = "anna@example.org"
DIAGNOSTIC = f"550 5.1.1 &lt;{ANNA}&gt;: Recipient address rejected: User unknown"
SAYS = {
    "en": f"Email to {ANNA} bounced: {DIAGNOSTIC}",
    "ru": f"Письмо на {ANNA} вернулось: {DIAGNOSTIC}",
}


def bounce_notice_in(page: str) -> bool:
    """The notice above the feed; the failed delivery itself stays in the message's delivery history."""
    return 'id="undeliverable"' in page or "Email to anna@example.org bounced" in page


@pytest.fixture
def outbox(context: Context, tmp_path: Path) -> SentMail:
    return SentMail(context, tmp_path / "sent")


def set_language(context: Context, language: str) -> None:
    with Session(context.engine) as session:
        operator = session.exec(select(Operator)).one()
        operator.language = language
        session.add(operator)
        session.commit()


def reply(client: TestClient, conversation_id: int, text: str) -> None:
    token = csrf_from(client.get(f"/inbox/{conversation_id}").text)
    answered = client.post(f"/inbox/{conversation_id}/reply", data={"text": text, "csrf": token})
    assert answered.status_code == 303


@pytest.fixture
def bounced(client: TestClient, context: Context, outbox: SentMail, operator_id: int) -> int:
    """Anna chatted and left; Olga's answer was mailed to her and bounced. Returns the dialog id."""
    posted = client.post("/api/widget/messages", json={"text": "Где мой заказ?", "email": ANNA})
    assert posted.status_code == 201
    with Session(context.engine) as session:
        conversation_id = session.exec(select(Conversation)).one().id or 0
    log_in(client)
    reply(client, conversation_id, "It ships today.")
    context.clock.advance(minutes=10)  # type: ignore[attr-defined]
    assert [m for m in outbox.tick() if recipient(m) == ANNA]
    bounce_back(context, last_outbox_to(context, ANNA))
    return conversation_id


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_dialog_says_the_address_bounced(
    client: TestClient, context: Context, bounced: int, language: str
) -> None:
    set_language(context, language)
    log_in(client)
    page = client.get(f"/inbox/{bounced}")
    assert page.status_code == 200
    assert SAYS[language] in page.text
    assert f'action="/inbox/{bounced}/contact-email"' in page.text


def test_a_bad_address_is_refused_beside_the_field_and_a_good_one_gets_email_again(
    client: TestClient, context: Context, outbox: SentMail, bounced: int
) -> None:
    page = client.get(f"/inbox/{bounced}").text
    assert SAYS["en"] in page
    reply(client, bounced, "Did you get it?")
    context.clock.advance(minutes=10)  # type: ignore[attr-defined]
    assert outbox.tick() == [], "no email while the address is marked"

    token = csrf_from(page)
    forged = client.post(f"/inbox/{bounced}/contact-email", data={"email": "anna@example.net", "csrf": "x"})
    assert forged.status_code == 400
    assert "The form expired. Please try again." in forged.text
    wrong = client.post(f"/inbox/{bounced}/contact-email", data={"email": "anna at example", "csrf": token})
    assert wrong.status_code == 422
    assert "This is not an email address." in wrong.text
    assert 'value="anna at example"' in wrong.text, "what the operator typed stays in the field"
    assert SAYS["en"] in wrong.text

    corrected = {"email": " Anna@Example.NET ", "csrf": token}
    saved = client.post(f"/inbox/{bounced}/contact-email", data=corrected)
    assert saved.status_code == 303
    assert not bounce_notice_in(client.get(f"/inbox/{bounced}").text)
    with Session(context.engine) as session:
        contact = session.exec(select(Contact)).one()
        assert (contact.email, contact.undeliverable_at) == ("anna@example.net", None)

    reply(client, bounced, "Here is the tracking number.")
    context.clock.advance(minutes=10)  # type: ignore[attr-defined]
    [sent] = outbox.tick()
    assert recipient(sent) == "anna@example.net"
    assert "Did you get it?" in text_of(sent)
    assert "Here is the tracking number." in text_of(sent)


def test_a_new_address_in_the_chat_clears_the_mark_the_same_one_does_not(
    client: TestClient, context: Context, bounced: int
) -> None:
    def marked() -> bool:
        with Session(context.engine) as session:
            return session.exec(select(Contact)).one().undeliverable_at is not None

    again = client.post("/api/widget/messages", json={"text": "Any news?", "email": ANNA.upper()})
    assert again.status_code == 201
    assert marked(), "the same address, typed again, still bounces"
    fixed = client.post("/api/widget/messages", json={"text": "Oops, this one", "email": "anna@example.net"})
    assert fixed.status_code == 201
    assert not marked()
    assert not bounce_notice_in(client.get(f"/inbox/{bounced}").text)
