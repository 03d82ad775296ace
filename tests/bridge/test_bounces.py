"""A bounce through the pipeline: a visitor's address that bounced for good gets no more email until
the visitor writes from it again; a bounce of an operator's notification changes nothing for them."""

from __future__ import annotations

import logging
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bridge.context import Context
from bridge.rulebook import RuleBook, Rules
from chatcore.autoreply import load_autoreplies
from chatcore.events import Event
from chatcore.hours import WorkingHours
from chatcore.models import Contact, Conversation, Message, Operator, OutboxMail
from chatcore.services import Desk, NewMessage
from tests.support.bounces import arrives, bounce_back, bounce_for, last_outbox_to
from tests.support.clock import ManualClock
from tests.support.factories import add_operator
from tests.support.mail import SentMail, act, recipient, text_of

OUT_OF_OFFICE = (Path(__file__).resolve().parents[1] / "data" / "mail" / "out-of-office-auto-submitted.eml")
ANNA = "anna@example.org"
FIRST = "<first@example.org>"
DIAGNOSTIC = f"550 5.1.1 <{ANNA}>: Recipient address rejected: User unknown"


@pytest.fixture
def outbox(context: Context, tmp_path: Path) -> SentMail:
    return SentMail(context, tmp_path / "sent")


def mail_from(sender: str, text: str, to: str = "support@example.com", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Anna <{sender}>"
    message["To"] = to
    message["Subject"] = "Where is my order?"
    message["Date"] = format_datetime(ManualClock().now())
    message["Message-ID"] = headers.pop("message_id", make_msgid(domain="example.org"))
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes()


def operator_answers(context: Context, text: str) -> None:
    def change(session: Session) -> tuple[None, list[Event]]:
        desk = Desk(session, context.clock.now())
        conversation = session.exec(select(Conversation)).one()
        operator = session.exec(select(Operator)).one()
        return None, desk.post_operator_message(conversation, operator, NewMessage(text=text, source="web"))

    act(context, change)


def contact(context: Context) -> Contact:
    with Session(context.engine) as session:
        return session.exec(select(Contact).where(Contact.email == ANNA)).one()


def emails_to(mails: list[EmailMessage], address: str) -> list[str]:
    return [text_of(m) for m in mails if recipient(m) == address]


@pytest.fixture
def anna_wrote(context: Context, outbox: SentMail) -> OutboxMail:
    """Anna wrote by email; Olga answered and the answer went out to Anna."""
    with Session(context.engine) as session:
        add_operator(session, "olga@example.com", now=context.clock.now(), name="Olga", notify_email=False)
        session.commit()
    arrives(context, mail_from(ANNA, "Where is my order?", message_id=FIRST))
    operator_answers(context, "It ships today.")
    assert [t for t in emails_to(outbox.tick(), ANNA) if "It ships today." in t]
    return last_outbox_to(context, ANNA)


def test_a_permanent_bounce_stops_visitor_email_until_they_write_again(
    context: Context, outbox: SentMail, anna_wrote: OutboxMail
) -> None:
    outcome = bounce_back(context, anna_wrote)

    assert outcome == f"bounce for outbox {anna_wrote.id}: {ANNA} marked undeliverable"
    marked = contact(context)
    assert marked.undeliverable_reason == DIAGNOSTIC
    assert marked.undeliverable_at == context.clock.now()
    row = last_outbox_to(context, ANNA)
    assert (row.status, row.last_error) == ("failed", f"bounced: {DIAGNOSTIC}")
    with Session(context.engine) as session:
        answer = session.exec(select(Message).where(Message.text == "It ships today.")).one()
        assert answer.delivery[ANNA]["status"] == "failed", "the message shows its email bounced"

    operator_answers(context, "Did you get it?")
    context.clock.advance(minutes=10)  # type: ignore[attr-defined]
    assert emails_to(outbox.tick(), ANNA) == [], "no more email to an address that bounced"
    assert last_outbox_to(context, ANNA).id == anna_wrote.id, "nothing queued for it either"

    arrives(context, mail_from(ANNA, "My mailbox is fixed, sorry!", in_reply_to=FIRST))
    assert contact(context).undeliverable_at is None
    assert contact(context).undeliverable_reason == ""
    operator_answers(context, "Great, here is the tracking number.")
    [sent] = emails_to(outbox.tick(), ANNA)
    assert "Did you get it?" in sent, "what Anna missed comes with the next email"
    assert "Great, here is the tracking number." in sent


def test_mail_from_another_address_leaves_the_mark_and_autoreplies_stay_in_the_chat(
    context: Context, outbox: SentMail, anna_wrote: OutboxMail
) -> None:
    bounce_back(context, anna_wrote)
    always = WorkingHours.from_config({"timezone": "UTC"})
    rules = [{"name": "ack", "when": "always", "trigger": "visitor_message", "text": "We got it."}]
    answering = replace(context, rules=RuleBook(Rules(always, load_autoreplies(rules))))
    reply_to = message_from_bytes(anna_wrote.raw, policy=policy.default)["Reply-To"].addresses[0].addr_spec

    arrives(answering, mail_from("anna@work.example", "Writing from work: any news?", to=reply_to))

    assert contact(context).undeliverable_reason == DIAGNOSTIC, "only mail from the address itself clears it"
    with Session(context.engine) as session:
        texts = [m.text for m in session.exec(select(Message).order_by(col(Message.id)))]
    assert texts[-2:] == ["Writing from work: any news?", "We got it."]
    context.clock.advance(minutes=10)  # type: ignore[attr-defined]
    assert emails_to(outbox.tick(), ANNA) == []


def test_a_temporary_failure_report_changes_nothing(
    context: Context, anna_wrote: OutboxMail
) -> None:
    outcome = bounce_back(context, anna_wrote, bounce_for(anna_wrote, status="4.2.2"))

    assert outcome.startswith(f"not a permanent failure report for outbox {anna_wrote.id}")
    assert contact(context).undeliverable_at is None
    assert last_outbox_to(context, ANNA).status == "sent"


def test_an_out_of_office_reply_to_the_bounce_address_is_not_a_bounce(
    context: Context, anna_wrote: OutboxMail
) -> None:
    reply = OUT_OF_OFFICE.read_bytes()
    outcome = bounce_back(context, anna_wrote, reply)

    assert outcome.startswith(f"not a permanent failure report for outbox {anna_wrote.id}")
    assert contact(context).undeliverable_at is None
    assert last_outbox_to(context, ANNA).status == "sent"


def test_a_bounced_operator_notification_is_recorded_and_logged_only(
    context: Context, outbox: SentMail, caplog: pytest.LogCaptureFixture
) -> None:
    with Session(context.engine) as session:
        add_operator(session, "olga@example.com", now=context.clock.now(), name="Olga")
        session.commit()
    arrives(context, mail_from(ANNA, "Where is my order?"))
    context.clock.advance(minutes=5)  # type: ignore[attr-defined]
    assert emails_to(outbox.tick(), "olga@example.com")
    notification = last_outbox_to(context, "olga@example.com")

    with caplog.at_level(logging.WARNING, logger="bridge.bounces"):
        outcome = bounce_back(context, notification)

    assert outcome == f"bounce for outbox {notification.id} to operator olga@example.com"
    row = last_outbox_to(context, "olga@example.com")
    assert row.status == "failed"
    assert row.last_error.startswith("bounced: 550 5.1.1")
    assert f"mail {notification.id} to operator olga@example.com bounced" in caplog.text
    with Session(context.engine) as session:
        olga = session.exec(select(Operator)).one()
        assert (olga.active, olga.notify_email) == (True, True)
    assert contact(context).undeliverable_at is None

    arrives(context, mail_from(ANNA, "Hello again?"))
    context.clock.advance(minutes=5)  # type: ignore[attr-defined]
    assert emails_to(outbox.tick(), "olga@example.com"), "Olga is still notified"
