"""Every Desk operation: what it changes in the rows and which events it returns."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from chatcore import events as ev
from chatcore.errors import DomainError
from chatcore.models import AuthorKind, Contact, Conversation, Message, Operator, ReadMark, Source
from chatcore.services import Desk, NewMessage
from tests.support.clock import ManualClock
from tests.support.factories import add_contact, add_operator


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def contact(session: Session, clock: ManualClock) -> Contact:
    return add_contact(session, now=clock.now(), name="Анна", email="anna@example.org")


@pytest.fixture
def operator(session: Session, clock: ManualClock) -> Operator:
    return add_operator(session, "op@example.com", now=clock.now(), name="Olga")


@pytest.fixture
def conversation(session: Session, clock: ManualClock, contact: Contact) -> Conversation:
    conversation, _ = Desk(session, clock.now()).start_conversation(contact, Source.CHAT, "Hello")
    return conversation


def desk_at(session: Session, clock: ManualClock, **later: float) -> Desk:
    clock.advance(**later)
    return Desk(session, clock.now())


def messages_of(session: Session, conversation: Conversation) -> list[Message]:
    return list(
        session.exec(select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id))
    )


def test_start_conversation_returns_started_event(
    session: Session, clock: ManualClock, contact: Contact
) -> None:
    conversation, events = Desk(session, clock.now()).start_conversation(
        contact, Source.EMAIL, "  Где мой заказ?  "
    )
    session.commit()

    assert events == [ev.ConversationStarted(conversation.id, contact.id, Source.EMAIL)]
    assert conversation.subject == "Где мой заказ?"
    assert conversation.status == "open"
    assert conversation.channel == "email"
    assert conversation.message_count == 0
    assert conversation.created_at == conversation.updated_at == clock.now()
    assert conversation.last_visitor_message_at is None


def test_long_subject_is_cut(session: Session, clock: ManualClock, contact: Contact) -> None:
    conversation, _ = Desk(session, clock.now()).start_conversation(contact, Source.CHAT, "x" * 1000)
    assert len(conversation.subject) == 250


def test_visitor_message_is_stored_counted_and_announced(
    session: Session, clock: ManualClock, conversation: Conversation
) -> None:
    desk = desk_at(session, clock, minutes=3)
    events = desk.post_visitor_message(
        conversation, NewMessage(text="  Привет!  ", from_address="anna@example.org")
    )
    session.commit()

    [message] = messages_of(session, conversation)
    assert events == [
        ev.MessagePosted(conversation.id, message.id, AuthorKind.VISITOR, None, False, Source.CHAT)
    ]
    assert message.text == "Привет!"
    assert message.author_kind == "visitor"
    assert message.from_address == "anna@example.org"
    assert message.created_at == clock.now()
    assert conversation.message_count == 1
    assert conversation.last_visitor_message_at == clock.now()
    assert conversation.updated_at == clock.now()
    assert conversation.last_operator_message_at is None


def test_message_without_text_is_refused(
    session: Session, clock: ManualClock, conversation: Conversation
) -> None:
    with pytest.raises(DomainError, match="text"):
        Desk(session, clock.now()).post_visitor_message(conversation, NewMessage(text=" \n\t "))
    assert conversation.message_count == 0


def test_html_only_message_is_accepted(
    session: Session, clock: ManualClock, conversation: Conversation
) -> None:
    events = Desk(session, clock.now()).post_visitor_message(
        conversation, NewMessage(text="", html="<p>hi</p>", source=Source.EMAIL)
    )
    assert [e.source for e in events if isinstance(e, ev.MessagePosted)] == ["email"]


def test_operator_message_sets_its_time_and_marks_read(
    session: Session, clock: ManualClock, conversation: Conversation, operator: Operator
) -> None:
    desk_at(session, clock, minutes=1).post_visitor_message(conversation, NewMessage(text="Hi"))
    desk = desk_at(session, clock, minutes=1)
    events = desk.post_operator_message(
        conversation, operator, NewMessage(text="Hello, Anna", source=Source.WEB)
    )
    session.commit()

    reply = messages_of(session, conversation)[-1]
    assert events == [
        ev.MessagePosted(conversation.id, reply.id, AuthorKind.OPERATOR, operator.id, False, "web")
    ]
    assert reply.operator_id == operator.id
    assert conversation.message_count == 2
    assert conversation.last_operator_message_at == clock.now()
    assert conversation.last_visitor_message_at == clock.now() - timedelta(minutes=1)
    mark = session.get(ReadMark, (operator.id, conversation.id))
    assert mark is not None
    assert mark.last_read_message_id == reply.id
    assert desk.mark_read(conversation, operator) == []


def test_deactivated_operator_cannot_post(
    session: Session, clock: ManualClock, conversation: Conversation, operator: Operator
) -> None:
    operator.active = False
    desk = Desk(session, clock.now())
    with pytest.raises(DomainError, match="deactivated"):
        desk.post_operator_message(conversation, operator, NewMessage(text="hi"))
    with pytest.raises(DomainError, match="deactivated"):
        desk.post_note(conversation, operator, NewMessage(text="hi"))
    with pytest.raises(DomainError, match="deactivated"):
        desk.assign(conversation, operator)


def test_internal_note_is_marked_and_is_not_a_reply(
    session: Session, clock: ManualClock, conversation: Conversation, operator: Operator
) -> None:
    events = desk_at(session, clock, minutes=1).post_note(
        conversation, operator, NewMessage(text="VIP client")
    )
    session.commit()

    [note] = messages_of(session, conversation)
    assert events == [
        ev.MessagePosted(conversation.id, note.id, AuthorKind.OPERATOR, operator.id, True, "chat")
    ]
    assert note.is_note
    assert conversation.last_operator_message_at is None
    assert conversation.updated_at == clock.now()


def test_system_and_autoreply_messages(
    session: Session, clock: ManualClock, conversation: Conversation
) -> None:
    desk = Desk(session, clock.now())
    system = desk.post_system_message(conversation, "Conversation moved")
    autoreply = desk.post_system_message(conversation, "We are away", kind=AuthorKind.AUTOREPLY)
    session.commit()

    kinds = [(m.author_kind, m.source, m.operator_id) for m in messages_of(session, conversation)]
    assert kinds == [("system", "api", None), ("autoreply", "api", None)]
    assert [e.author_kind for e in [*system, *autoreply] if isinstance(e, ev.MessagePosted)] == [
        "system",
        "autoreply",
    ]
    assert conversation.message_count == 2
    assert conversation.last_visitor_message_at is None
    assert conversation.last_operator_message_at is None
    with pytest.raises(DomainError):
        desk.post_system_message(conversation, "pretending", kind=AuthorKind.VISITOR)


def test_close_and_reopen(
    session: Session, clock: ManualClock, conversation: Conversation, operator: Operator
) -> None:
    desk = desk_at(session, clock, minutes=5)
    assert desk.close(conversation, operator) == [ev.ConversationClosed(conversation.id, operator.id)]
    assert conversation.status == "closed"
    assert conversation.updated_at == clock.now()
    assert desk.close(conversation, operator) == []

    desk = desk_at(session, clock, minutes=5)
    assert desk.reopen(conversation) == [ev.ConversationReopened(conversation.id, None)]
    assert conversation.status == "open"
    assert conversation.updated_at == clock.now()
    assert desk.reopen(conversation) == []
    session.commit()
    with Session(session.get_bind()) as fresh:
        stored = fresh.get(Conversation, conversation.id)
        assert stored is not None
        assert stored.status == "open"
        assert stored.updated_at == clock.now()


def test_visitor_message_reopens_a_closed_conversation(
    session: Session, clock: ManualClock, conversation: Conversation
) -> None:
    desk = Desk(session, clock.now())
    desk.close(conversation)
    events = desk.post_visitor_message(conversation, NewMessage(text="One more question"))

    assert conversation.status == "open"
    assert ev.ConversationReopened(conversation.id, None) in events
    assert [type(e) for e in events][-1] is ev.MessagePosted


def test_automatic_visitor_mail_leaves_a_closed_conversation_closed(
    session: Session, clock: ManualClock, conversation: Conversation
) -> None:
    desk = Desk(session, clock.now())
    desk.close(conversation)
    events = desk.post_visitor_message(conversation, NewMessage(text="I am on holiday", automatic=True))

    assert conversation.status == "closed"
    assert [type(e) for e in events] == [ev.MessagePosted]
    assert events[0].automatic  # type: ignore[union-attr]


def test_operator_reply_does_not_reopen(
    session: Session, clock: ManualClock, conversation: Conversation, operator: Operator
) -> None:
    desk = Desk(session, clock.now())
    desk.close(conversation)
    desk.post_operator_message(conversation, operator, NewMessage(text="Closing words"))
    assert conversation.status == "closed"


def test_tag_and_untag(session: Session, clock: ManualClock, conversation: Conversation) -> None:
    desk = desk_at(session, clock, minutes=1)
    assert desk.tag(conversation, " Billing ") == [ev.ConversationTagged(conversation.id, "billing")]
    assert desk.tag(conversation, "billing") == []
    assert desk.tag(conversation, "оплата") == [ev.ConversationTagged(conversation.id, "оплата")]
    assert desk.tag(conversation, "vip.2026") == [ev.ConversationTagged(conversation.id, "vip.2026")]
    assert conversation.updated_at == clock.now()
    assert desk.tags_of(conversation) == ["billing", "vip.2026", "оплата"]

    assert desk.untag(conversation, "BILLING") == [ev.ConversationUntagged(conversation.id, "billing")]
    assert desk.untag(conversation, "billing") == []
    assert desk.untag(conversation, "never-used") == []
    session.commit()
    assert desk.tags_of(conversation) == ["vip.2026", "оплата"]


def test_one_tag_on_two_conversations(
    session: Session, clock: ManualClock, conversation: Conversation, contact: Contact
) -> None:
    desk = Desk(session, clock.now())
    other, _ = desk.start_conversation(contact, Source.CHAT)
    desk.tag(conversation, "urgent")
    desk.tag(other, "urgent")
    desk.untag(conversation, "urgent")
    session.commit()
    assert desk.tags_of(conversation) == []
    assert desk.tags_of(other) == ["urgent"]


@pytest.mark.parametrize(
    "name", ["", "   ", "two words", "-leading-dash", ".dot", "a/b", "#hash", "x" * 64, "a\nb"]
)
def test_bad_tag_names_are_refused(
    session: Session, clock: ManualClock, conversation: Conversation, name: str
) -> None:
    desk = Desk(session, clock.now())
    with pytest.raises(DomainError, match="not a tag name"):
        desk.tag(conversation, name)
    with pytest.raises(DomainError, match="not a tag name"):
        desk.untag(conversation, name)
    assert desk.tags_of(conversation) == []


def test_assign_and_unassign(
    session: Session, clock: ManualClock, conversation: Conversation, operator: Operator
) -> None:
    desk = desk_at(session, clock, minutes=2)
    assert desk.assign(conversation, operator) == [ev.ConversationAssigned(conversation.id, operator.id)]
    assert conversation.assignee_id == operator.id
    assert conversation.updated_at == clock.now()
    assert desk.assign(conversation, operator) == []
    assert desk.assign(conversation, None) == [ev.ConversationAssigned(conversation.id, None)]
    assert conversation.assignee_id is None
    assert desk.assign(conversation, None) == []


def test_mark_read_moves_to_the_newest_message(
    session: Session, clock: ManualClock, conversation: Conversation, operator: Operator
) -> None:
    desk = Desk(session, clock.now())
    assert desk.mark_read(conversation, operator) == []  # nothing to read yet
    desk.post_visitor_message(conversation, NewMessage(text="one"))
    desk.post_visitor_message(conversation, NewMessage(text="two"))
    newest = desk.last_message_id(conversation)

    assert desk.mark_read(conversation, operator) == [
        ev.ConversationRead(conversation.id, operator.id, newest)
    ]
    assert desk.mark_read(conversation, operator) == []
    desk.post_visitor_message(conversation, NewMessage(text="three"))
    [event] = desk.mark_read(conversation, operator)
    assert isinstance(event, ev.ConversationRead)
    assert event.last_read_message_id > newest
    session.commit()
    assert (
        session.get(ReadMark, (operator.id, conversation.id)).last_read_message_id
        == event.last_read_message_id
    )  # type: ignore[union-attr]


def test_read_marks_are_per_operator(
    session: Session, clock: ManualClock, conversation: Conversation, operator: Operator
) -> None:
    other = add_operator(session, "second@example.com", now=clock.now())
    desk = Desk(session, clock.now())
    desk.post_visitor_message(conversation, NewMessage(text="hi"))
    desk.mark_read(conversation, operator)
    assert desk.mark_read(conversation, other) != []


def test_mark_seen_by_visitor_never_goes_back(
    session: Session, clock: ManualClock, conversation: Conversation
) -> None:
    desk = Desk(session, clock.now())
    desk.mark_seen_by_visitor(conversation, 7)
    desk.mark_seen_by_visitor(conversation, 3)
    assert conversation.visitor_seen_message_id == 7


def test_unknown_conversation_is_a_domain_error(session: Session, clock: ManualClock) -> None:
    with pytest.raises(DomainError, match="does not exist"):
        Desk(session, clock.now()).get_conversation(424242)


def test_counts_and_times_survive_a_reload(
    session: Session, clock: ManualClock, conversation: Conversation, operator: Operator
) -> None:
    desk_at(session, clock, minutes=1).post_visitor_message(conversation, NewMessage(text="1"))
    visitor_time = clock.now()
    desk_at(session, clock, minutes=1).post_operator_message(conversation, operator, NewMessage(text="2"))
    desk_at(session, clock, minutes=1).post_note(conversation, operator, NewMessage(text="3"))
    session.commit()

    with Session(session.get_bind()) as fresh:
        stored = fresh.get(Conversation, conversation.id)
        assert stored is not None
        assert stored.message_count == 3
        assert stored.last_visitor_message_at == visitor_time
        assert stored.last_operator_message_at == visitor_time + timedelta(minutes=1)
        assert stored.updated_at == clock.now()
        assert stored.updated_at.tzinfo is not None
        times = [m.created_at for m in fresh.exec(select(Message).order_by(Message.id))]
        assert times == [visitor_time + timedelta(minutes=n) for n in range(3)]


def test_history_keeps_each_operators_read_state(
    session: Session, clock: ManualClock, conversation: Conversation, operator: Operator
) -> None:
    behind = add_operator(session, "second@example.com", now=clock.now())
    desk = Desk(session, clock.now())
    desk.post_visitor_message(conversation, NewMessage(text="live"))
    desk.mark_read(conversation, operator)  # `behind` has not read "live"
    history = [
        desk.post_visitor_message(conversation, NewMessage(text=text))[-1].message_id  # type: ignore[attr-defined]
        for text in ("old one", "old two")
    ]

    desk.keep_read_state(conversation, history, [operator, behind])

    marks = {o.id: session.get(ReadMark, (o.id, conversation.id)) for o in (operator, behind)}
    assert marks[operator.id].last_read_message_id == history[-1]  # type: ignore[union-attr]
    assert marks[behind.id] is None, "an operator with unread messages keeps them"
