"""Who hears about a message and when: delayed, coalesced, skipped once read, threaded per recipient."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bridge.context import Context
from bridge.tokens import Party, Token
from chatcore.events import Event
from chatcore.models import Contact, Conversation, Message, Operator, Source
from chatcore.services import Desk, NewMessage
from tests.support.clock import ManualClock
from tests.support.factories import add_contact, add_operator
from tests.support.mail import SentMail, act, recipient, text_of


@dataclass(frozen=True)
class Scene:
    conversation_id: int
    contact_id: int
    olga: int  # operator ids
    ivan: int
    quiet: int  # email notifications off


@pytest.fixture
def outbox(context: Context, tmp_path: Path) -> SentMail:
    return SentMail(context, tmp_path / "sent")


def build_scene(
    context: Context, channel: str = Source.CHAT, email: str | None = "anna@example.org"
) -> Scene:
    def change(session: Session) -> tuple[Scene, list[Event]]:
        now = context.clock.now()
        olga = add_operator(session, "olga@example.com", now=now, name="Ольга")
        ivan = add_operator(session, "ivan@example.com", now=now, name="Ivan")
        quiet = add_operator(session, "quiet@example.com", now=now, notify_email=False)
        contact = add_contact(session, now=now, name="Анна", email=email)
        conversation, events = Desk(session, now).start_conversation(contact, channel, "Где мой заказ?")
        ids = Scene(conversation.id or 0, contact.id or 0, olga.id or 0, ivan.id or 0, quiet.id or 0)
        return ids, events

    return act(context, change)


def visitor_says(context: Context, scene: Scene, text: str) -> None:
    def change(session: Session) -> tuple[None, list[Event]]:
        desk = Desk(session, context.clock.now())
        return None, desk.post_visitor_message(
            desk.get_conversation(scene.conversation_id), NewMessage(text=text)
        )

    act(context, change)


def operator_says(context: Context, scene: Scene, operator_id: int, text: str) -> None:
    def change(session: Session) -> tuple[None, list[Event]]:
        desk = Desk(session, context.clock.now())
        operator = session.get(Operator, operator_id)
        assert operator is not None
        conversation = desk.get_conversation(scene.conversation_id)
        return None, desk.post_operator_message(
            conversation, operator, NewMessage(text=text, source=Source.WEB)
        )

    act(context, change)


def on_conversation(context: Context, scene: Scene, do: str, operator_id: int | None = None) -> None:
    def change(session: Session) -> tuple[None, list[Event]]:
        desk = Desk(session, context.clock.now())
        conversation = desk.get_conversation(scene.conversation_id)
        operator = session.get(Operator, operator_id) if operator_id else None
        if do == "read":
            assert operator is not None
            return None, desk.mark_read(conversation, operator)
        if do == "assign":
            return None, desk.assign(conversation, operator)
        if do == "seen":
            desk.mark_seen_by_visitor(conversation, desk.last_message_id(conversation))
            return None, []
        if do == "note":
            assert operator is not None
            return None, desk.post_note(conversation, operator, NewMessage(text="internal: VIP"))
        raise AssertionError(do)

    act(context, change)


def test_each_operator_with_email_on_is_told_after_the_delay(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context)
    visitor_says(context, scene, "Здравствуйте, где мой заказ?")

    clock.advance(minutes=1, seconds=59)
    assert outbox.tick() == []
    clock.advance(seconds=1)
    mails = outbox.tick()

    assert [recipient(m) for m in mails] == ["ivan@example.com", "olga@example.com"]
    for mail in mails:
        assert "Здравствуйте, где мой заказ?" in text_of(mail)
        assert mail["Subject"] == "Где мой заказ?"
        assert mail["Auto-Submitted"] == "auto-generated"
    clock.advance(minutes=10)
    assert outbox.tick() == []


def test_no_email_to_an_operator_who_read_it_meanwhile(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context)
    visitor_says(context, scene, "Hello?")
    clock.advance(minutes=1)
    on_conversation(context, scene, "read", scene.olga)
    clock.advance(minutes=1)

    assert [recipient(m) for m in outbox.tick()] == ["ivan@example.com"]


def test_a_burst_within_the_delay_gives_one_email_listing_all(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context)
    for text in ["First line", "Second line", "Третья строка"]:
        visitor_says(context, scene, text)
        clock.advance(seconds=30)
    clock.advance(minutes=2)
    mails = [m for m in outbox.tick() if recipient(m) == "olga@example.com"]

    assert len(mails) == 1
    body = text_of(mails[0])
    assert body.index("First line") < body.index("Second line") < body.index("Третья строка")


def test_later_message_after_an_email_is_a_new_email(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context)
    visitor_says(context, scene, "First")
    clock.advance(minutes=2)
    outbox.tick()
    visitor_says(context, scene, "Second")
    clock.advance(minutes=2)
    [mail] = [m for m in outbox.tick() if recipient(m) == "olga@example.com"]
    assert "Second" in text_of(mail)
    assert "First" not in text_of(mail).split("Earlier in this conversation:")[0]


def test_only_the_assignee_when_assigned(context: Context, clock: ManualClock, outbox: SentMail) -> None:
    scene = build_scene(context)
    on_conversation(context, scene, "assign", scene.ivan)
    visitor_says(context, scene, "Hi")
    clock.advance(minutes=2)
    assert [recipient(m) for m in outbox.tick()] == ["ivan@example.com"]


def test_the_operators_own_message_is_never_mirrored_back(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context, email=None)
    operator_says(context, scene, scene.olga, "Hello from Olga")
    on_conversation(context, scene, "note", scene.olga)
    clock.advance(hours=1)
    assert outbox.tick() == []


def test_operator_reply_emails_the_visitor_after_the_delay(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context)
    operator_says(context, scene, scene.olga, "Your order ships today")
    clock.advance(minutes=4, seconds=59)
    assert outbox.tick() == []
    clock.advance(seconds=1)
    [mail] = outbox.tick()

    assert recipient(mail) == "anna@example.org"
    assert mail["To"].addresses[0].display_name == "Анна"
    assert "Your order ships today" in text_of(mail)
    assert mail["Auto-Submitted"] is None


def test_no_email_when_the_visitor_saw_the_reply_in_the_chat(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context)
    operator_says(context, scene, scene.olga, "Your order ships today")
    clock.advance(minutes=1)
    on_conversation(context, scene, "seen")
    clock.advance(minutes=10)
    assert outbox.tick() == []


def test_no_email_to_a_visitor_without_an_address(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context, email=None)
    operator_says(context, scene, scene.olga, "Hello")
    clock.advance(hours=1)
    assert outbox.tick() == []


def test_conversation_begun_by_email_is_answered_by_email_at_once(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context, channel=Source.EMAIL)
    operator_says(context, scene, scene.olga, "Got your email")
    [mail] = outbox.tick()
    assert recipient(mail) == "anna@example.org"


def test_reply_to_and_message_id_carry_the_right_token(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context)
    visitor_says(context, scene, "Hi")
    operator_says(context, scene, scene.olga, "Hello")
    clock.advance(minutes=5)
    mails = {recipient(m): m for m in outbox.tick()}

    expected = {
        "ivan@example.com": Token(Party.OPERATOR, scene.conversation_id, scene.ivan).stamped(clock.now()),
        "anna@example.org": Token(Party.VISITOR, scene.conversation_id, scene.contact_id),
    }
    assert set(mails) == set(expected)  # Olga replied, so she read it and is not told
    for address, token in expected.items():
        mail = mails[address]
        [reply_to] = mail["Reply-To"].addresses
        assert reply_to.addr_spec.startswith("support+")
        assert context.codec.from_addresses([reply_to.addr_spec], "support@example.com") == token
        assert context.codec.from_message_ids([str(mail["Message-ID"])]) == token
        assert str(mail["Message-ID"]).endswith("@example.com>")


def test_a_second_email_to_the_same_recipient_threads_to_the_first(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context)
    visitor_says(context, scene, "First")
    clock.advance(minutes=2)
    [first] = [m for m in outbox.tick() if recipient(m) == "olga@example.com"]
    visitor_says(context, scene, "Second")
    clock.advance(minutes=2)
    [second] = [m for m in outbox.tick() if recipient(m) == "olga@example.com"]
    visitor_says(context, scene, "Third")
    clock.advance(minutes=2)
    [third] = [m for m in outbox.tick() if recipient(m) == "olga@example.com"]

    assert first["In-Reply-To"] is None
    assert second["In-Reply-To"] == first["Message-ID"]
    assert str(second["References"]).split() == [first["Message-ID"]]
    assert third["In-Reply-To"] == second["Message-ID"]
    assert str(third["References"]).split() == [first["Message-ID"], second["Message-ID"]]
    assert second["Subject"] == third["Subject"] == "Re: Где мой заказ?"


def test_threads_are_kept_apart_per_recipient(context: Context, clock: ManualClock, outbox: SentMail) -> None:
    scene = build_scene(context)
    visitor_says(context, scene, "First")
    clock.advance(minutes=2)
    outbox.tick()
    operator_says(context, scene, scene.olga, "Reply")
    clock.advance(minutes=5)
    [to_anna] = outbox.tick()
    assert recipient(to_anna) == "anna@example.org"
    assert to_anna["In-Reply-To"] is None


def test_delivery_state_is_kept_on_the_message(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context)
    visitor_says(context, scene, "Hi")
    clock.advance(minutes=2)
    outbox.tick()
    with Session(context.engine) as session:
        message = session.exec(select(Message).where(Message.conversation_id == scene.conversation_id)).one()
        assert message.delivery["olga@example.com"]["status"] == "sent"
        assert message.delivery["ivan@example.com"]["status"] == "sent"
        assert "quiet@example.com" not in message.delivery
        assert session.get(Contact, scene.contact_id) is not None
        assert session.get(Conversation, scene.conversation_id) is not None


def test_a_pending_notification_goes_to_whoever_is_assigned_when_it_is_sent(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context)
    on_conversation(context, scene, "assign", scene.olga)
    visitor_says(context, scene, "Hello?")
    clock.advance(minutes=1)
    on_conversation(context, scene, "assign", scene.ivan)  # Olga hands the dialog over before the email
    clock.advance(minutes=1)
    [mail] = outbox.tick()
    assert recipient(mail) == "ivan@example.com"
    assert "Hello?" in text_of(mail)


def test_a_dialog_assigned_before_the_email_is_sent_is_no_longer_everyones(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context)
    visitor_says(context, scene, "Anyone?")  # unassigned: everyone with email on would hear
    clock.advance(minutes=1)
    on_conversation(context, scene, "assign", scene.olga)
    clock.advance(minutes=1)
    assert [recipient(m) for m in outbox.tick()] == ["olga@example.com"]


def test_the_new_assignee_who_already_read_the_dialog_gets_no_email(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    scene = build_scene(context)
    on_conversation(context, scene, "assign", scene.olga)
    visitor_says(context, scene, "Hello?")
    on_conversation(context, scene, "read", scene.ivan)
    on_conversation(context, scene, "assign", scene.ivan)
    clock.advance(minutes=2)
    assert outbox.tick() == []
