"""Two conversations of one visitor that turn out to be one thread are joined, losing nothing."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bridge.context import Context
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from bridge.tokens import Party, Token
from chatcore.events import Event
from chatcore.models import (
    Attachment,
    AuthorKind,
    Conversation,
    ConversationStatus,
    Job,
    JobStatus,
    Message,
    Operator,
    OutboxMail,
    ReadMark,
)
from chatcore.services import Desk, NewMessage
from tests.support.factories import add_operator
from tests.support.mail import SentMail, act

ANNA = "anna@example.org"


def anna_mail(own: str, answers: str | None = None, text: str = "Hello", file: bool = False) -> bytes:
    message = EmailMessage()
    message["From"] = ANNA
    message["To"] = "support@example.com"
    message["Subject"] = "Order 7"
    message["Message-ID"] = f"<{own}@anna.example>"
    if answers:
        message["In-Reply-To"] = f"<{answers}@anna.example>"
    message.set_content(text)
    if file:
        message.add_attachment(b"invoice", maintype="application", subtype="pdf", filename="invoice.pdf")
    return message.as_bytes()


def deliver(context: Context, raw: bytes, key: str) -> None:
    assert store_raw(context, key, raw, None, [])
    assert process_pending(context) == 1


def conversation_of(context: Context, own: str) -> int:
    with Session(context.engine) as session:
        query = select(Message.conversation_id).where(Message.email_message_id == f"{own}@anna.example")
        return session.exec(query).one()


@pytest.fixture
def sent(context: Context, tmp_path: Path) -> SentMail:
    return SentMail(context, tmp_path / "sent")


def test_a_mail_that_links_two_conversations_joins_them_keeping_everything(
    context: Context, sent: SentMail
) -> None:
    with Session(context.engine) as session:
        olga_id = add_operator(session, "olga@example.com", now=context.clock.now()).id
        session.commit()
    deliver(context, anna_mail("m3", answers="m2", text="Third, with the invoice", file=True), "k3")
    deliver(context, anna_mail("m1", text="First"), "k1")
    first, second = conversation_of(context, "m3"), conversation_of(context, "m1")
    assert first != second, "two halves of one thread, nothing links them yet"

    def work_on_second(session: Session) -> tuple[None, list[Event]]:
        desk = Desk(session, context.clock.now())
        conversation, operator = desk.get_conversation(second), session.get(Operator, olga_id)
        assert operator is not None
        events = desk.tag(conversation, "billing") + desk.mark_read(conversation, operator)
        events += desk.post_operator_message(conversation, operator, NewMessage(text="We are on it"))
        return None, events

    def tag_first(session: Session) -> tuple[None, list[Event]]:
        desk = Desk(session, context.clock.now())
        return None, desk.tag(desk.get_conversation(first), "urgent")

    act(context, work_on_second)
    act(context, tag_first)
    sent.tick()  # the visitor is emailed the operator's answer from the second conversation
    with Session(context.engine) as session:
        messages_before = {m.id for m in session.exec(select(Message))}

    deliver(context, anna_mail("m2", answers="m1", text="Second"), "k2")  # names m1; m3 named it

    with Session(context.engine) as session:
        kept = session.get(Conversation, first)
        joined = session.get(Conversation, second)
        assert kept is not None
        assert joined is not None
        assert (joined.status, joined.merged_into_id, joined.message_count) == (
            ConversationStatus.MERGED, first, 0
        )
        query = select(Message).where(Message.conversation_id == first).order_by(col(Message.id))
        rows = list(session.exec(query))
        assert {m.id for m in rows} >= messages_before, "every message of both halves is in the one kept"
        assert kept.message_count == len(rows)
        assert kept.status == ConversationStatus.OPEN
        texts = [m.text for m in rows if m.author_kind == AuthorKind.VISITOR]
        assert sorted(texts) == ["First", "Second", "Third, with the invoice"]
        note = next(m for m in rows if m.author_kind == AuthorKind.SYSTEM)
        assert f"Conversation #{second} was joined to this one" in note.text
        assert f"Диалог №{second} присоединён к этому" in note.text
        invoice = session.exec(select(Attachment).where(Attachment.filename == "invoice.pdf")).one()
        assert session.get(Message, invoice.message_id).conversation_id == first  # type: ignore[union-attr]
        assert Desk(session, context.clock.now()).tags_of(kept) == ["billing", "urgent"]
        outbox = session.exec(select(OutboxMail.conversation_id)).all()
        assert outbox
        assert set(outbox) == {first}
        assert session.get(ReadMark, (olga_id, second)) is None
        mark = session.get(ReadMark, (olga_id, first))
        assert mark is not None
        unread_before = min(m.id or 0 for m in rows if m.text == "Third, with the invoice")
        assert mark.last_read_message_id < unread_before, "what Olga had not read stays unread"
        pending = session.exec(select(Job.key).where(Job.status == JobStatus.PENDING)).all()
        assert all(f":{second}" not in key for key in pending)
        assert len(pending) == len(set(pending))


def test_a_reply_to_mail_of_the_joined_conversation_lands_in_the_one_kept(
    context: Context, sent: SentMail
) -> None:
    deliver(context, anna_mail("m3", answers="m2"), "k3")
    deliver(context, anna_mail("m1"), "k1")
    first, second = conversation_of(context, "m3"), conversation_of(context, "m1")
    deliver(context, anna_mail("m2", answers="m1"), "k2")
    later = anna_mail("m4")  # names nothing, but comes to the joined conversation's reply address
    with Session(context.engine) as session:
        contact_id = session.exec(select(Conversation.contact_id).where(Conversation.id == second)).one()
    address = context.codec.reply_address("support@example.com", Token(Party.VISITOR, second, contact_id))
    assert store_raw(context, "k4", later, None, [address])
    process_pending(context)
    assert conversation_of(context, "m4") == first


def test_threads_of_one_sender_that_name_nothing_in_common_stay_apart(context: Context) -> None:
    deliver(context, anna_mail("a1"), "k1")
    deliver(context, anna_mail("b1"), "k2")
    deliver(context, anna_mail("b2", answers="b1"), "k3")
    assert conversation_of(context, "a1") != conversation_of(context, "b2")
    assert conversation_of(context, "b1") == conversation_of(context, "b2")
