"""The inbox read model: what the dialog list and a dialog show, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from chatcore.errors import DomainError
from chatcore.files import NewAttachment
from chatcore.inbox import (
    InboxFilter,
    InboxItem,
    get_conversation,
    item_to_json,
    list_conversations,
)
from chatcore.models import AuthorKind, Contact, Conversation, Operator, Source
from chatcore.services import Desk, NewMessage
from tests.support.clock import ManualClock
from tests.support.factories import add_contact, add_operator


@dataclass
class World:
    session: Session
    clock: ManualClock
    olga: Operator
    ivan: Operator

    def desk(self) -> Desk:
        self.clock.advance(seconds=1)
        return Desk(self.session, self.clock.now())

    def conversation(self, name: str, text: str = "Здравствуйте", email: str | None = None) -> Conversation:
        contact = add_contact(self.session, now=self.clock.now(), name=name, email=email)
        desk = self.desk()
        conversation, _ = desk.start_conversation(contact, Source.EMAIL, f"Subject of {name}")
        desk.post_visitor_message(conversation, NewMessage(text=text, source=Source.EMAIL))
        self.session.commit()
        return conversation

    def visitor(self, conversation: Conversation, text: str, automatic: bool = False) -> None:
        self.desk().post_visitor_message(conversation, NewMessage(text=text, automatic=automatic))
        self.session.commit()

    def reply(self, conversation: Conversation, operator: Operator, text: str, note: bool = False) -> None:
        desk = self.desk()
        post = desk.post_note if note else desk.post_operator_message
        post(conversation, operator, NewMessage(text=text, source=Source.WEB))
        self.session.commit()

    def list(self, operator: Operator | None = None, **filters: object) -> list[InboxItem]:
        return self.page(operator, **filters).items

    def page(self, operator: Operator | None = None, limit: int = 50, **filters: object):  # type: ignore[no-untyped-def]
        who = operator or self.olga
        return list_conversations(self.session, who.id or 0, InboxFilter(**filters), limit=limit)  # type: ignore[arg-type]


@pytest.fixture
def world(engine: Engine, clock: ManualClock) -> Iterator[World]:
    with Session(engine, expire_on_commit=False) as session:
        olga = add_operator(session, "olga@example.com", now=clock.now(), name="Olga")
        ivan = add_operator(session, "ivan@example.com", now=clock.now(), name="Ivan")
        session.commit()
        yield World(session, clock, olga, ivan)


def names(items: list[InboxItem]) -> list[str]:
    return [item.contact.name for item in items]


def test_newest_message_first_and_a_tag_or_assignment_does_not_reorder(world: World) -> None:
    anna = world.conversation("Анна")
    boris = world.conversation("Boris")
    world.conversation("Вера")
    world.visitor(anna, "Ещё вопрос")
    assert names(world.list()) == ["Анна", "Вера", "Boris"]

    desk = world.desk()
    desk.tag(boris, "billing")
    desk.assign(boris, world.ivan)
    world.session.commit()
    assert names(world.list()) == ["Анна", "Вера", "Boris"]


def test_item_shows_the_last_message_its_author_counts_and_tags(world: World) -> None:
    anna = world.conversation("Анна", email="anna@example.org")
    world.reply(anna, world.ivan, "Добрый день! " + "очень " * 60)
    desk = world.desk()
    desk.tag(anna, "VIP")
    desk.tag(anna, "billing")
    desk.assign(anna, world.ivan)
    world.session.commit()

    (item,) = world.list()
    assert item.subject == "Subject of Анна"
    assert (item.contact.name, item.contact.email) == ("Анна", "anna@example.org")
    assert item.assignee is not None
    assert (item.assignee.id, item.assignee.name) == (world.ivan.id, "Ivan")
    assert item.tags == ("billing", "vip")
    assert item.message_count == 2
    assert item.last_message is not None
    assert item.last_message.author_kind == AuthorKind.OPERATOR
    assert item.last_message.text.startswith("Добрый день! очень")
    assert len(item.last_message.text) == 200
    assert item.updated_at == item.last_message.created_at
    shown = item_to_json(item)
    assert shown["assignee"]["name"] == "Ivan"
    assert shown["last_message"]["created_at"].endswith("Z")
    assert shown["tags"] == ["billing", "vip"]


def test_status_filters_and_counts(world: World) -> None:
    anna = world.conversation("Анна")
    boris = world.conversation("Boris")
    world.conversation("Вера")
    desk = world.desk()
    desk.close(anna)
    desk.assign(boris, world.olga)
    world.session.commit()

    assert names(world.list()) == ["Вера", "Boris"]
    assert names(world.list(status="closed")) == ["Анна"]
    assert names(world.list(status="all")) == ["Вера", "Boris", "Анна"]
    counts = world.page().counts
    assert (counts.mine, counts.unassigned, counts.all) == (1, 1, 2)
    counts = world.page(status="all", assignee="none").counts  # the assignee filter does not narrow them
    assert (counts.mine, counts.unassigned, counts.all) == (1, 2, 3)
    counts = world.page(world.ivan).counts
    assert (counts.mine, counts.unassigned, counts.all) == (0, 1, 2)


def test_assignee_filters(world: World) -> None:
    anna = world.conversation("Анна")
    boris = world.conversation("Boris")
    world.conversation("Вера")
    desk = world.desk()
    desk.assign(anna, world.olga)
    desk.assign(boris, world.ivan)
    world.session.commit()

    assert names(world.list(assignee="me")) == ["Анна"]
    assert names(world.list(world.ivan, assignee="me")) == ["Boris"]
    assert names(world.list(assignee="none")) == ["Вера"]
    assert names(world.list(assignee=world.ivan.id)) == ["Boris"]
    assert names(world.list(assignee=None)) == ["Вера", "Boris", "Анна"]


def test_tag_filter_wants_every_tag_named(world: World) -> None:
    anna = world.conversation("Анна")
    boris = world.conversation("Boris")
    world.conversation("Вера")
    desk = world.desk()
    desk.tag(anna, "billing")
    desk.tag(anna, "vip")
    desk.tag(boris, "billing")
    world.session.commit()

    assert names(world.list(tags=("billing",))) == ["Boris", "Анна"]
    assert names(world.list(tags=("billing", "VIP"))) == ["Анна"]
    assert world.list(tags=("nosuchtag",)) == []
    counts = world.page(tags=("billing",)).counts
    assert counts.all == 2


def test_unread_counts_follow_each_operators_read_mark(world: World) -> None:
    anna = world.conversation("Анна")
    boris = world.conversation("Boris")
    world.visitor(anna, "И ещё")
    world.reply(boris, world.olga, "Отвечаю")  # Olga has read what she answered
    world.reply(anna, world.ivan, "Внутренняя заметка", note=True)

    olga = {item.contact.name: item.unread_count for item in world.list()}
    assert olga == {"Анна": 3, "Boris": 0}
    ivan = {item.contact.name: item.unread_count for item in world.list(world.ivan)}
    assert ivan == {"Анна": 0, "Boris": 2}
    assert names(world.list(unread=True)) == ["Анна"]
    assert world.page(unread=True).counts.all == 1

    world.desk().mark_read(anna, world.olga)
    world.session.commit()
    assert world.list(unread=True) == []


def test_awaiting_reply_until_an_operator_answers(world: World) -> None:
    anna = world.conversation("Анна")
    boris = world.conversation("Boris")
    vera = world.conversation("Вера")
    world.reply(boris, world.olga, "Готово")
    world.reply(vera, world.olga, "Посмотрим", note=True)  # a note is no answer
    desk = world.desk()
    desk.post_system_message(anna, "Conversation moved", kind=AuthorKind.AUTOREPLY)
    world.session.commit()

    awaiting = {item.contact.name: item.awaiting_reply for item in world.list()}
    assert awaiting == {"Анна": True, "Boris": False, "Вера": True}
    assert names(world.list(awaiting=True)) == ["Анна", "Вера"]

    world.visitor(boris, "Out of office", automatic=True)  # the contact's mailbox answering asks for nothing
    assert names(world.list(awaiting=True)) == ["Анна", "Вера"]
    world.visitor(boris, "Не помогло")
    assert names(world.list(awaiting=True)) == ["Boris", "Анна", "Вера"]


def test_contact_and_text_filters(world: World) -> None:
    anna = world.conversation("Анна", email="anna@example.org")
    world.conversation("Boris", email="boris@example.net")
    contact_id = anna.contact_id
    desk = world.desk()
    contact = world.session.get(Contact, contact_id)
    assert contact is not None
    second, _ = desk.start_conversation(contact, Source.CHAT, "Второй вопрос")
    desk.post_visitor_message(second, NewMessage(text="Снова я"))
    world.session.commit()

    assert names(world.list(contact_id=contact_id)) == ["Анна", "Анна"]
    assert [item.subject for item in world.list(q="EXAMPLE.NET")] == ["Subject of Boris"]
    assert [item.subject for item in world.list(q="Второй")] == ["Второй вопрос"]
    assert world.list(q="100%") == []


def test_cursor_pages_cover_every_row_once_while_rows_change(world: World) -> None:
    conversations = [world.conversation(f"Contact {n:02}") for n in range(23)]
    seen: list[int] = []
    page = world.page(limit=5)
    seen += [item.id for item in page.items]
    changed: set[int] = set()
    while page.next_cursor:
        # meanwhile: a conversation already listed gets a message, one not yet listed is tagged
        world.visitor(conversations[-1 - len(seen) // 5], "новое сообщение")
        changed.add(conversations[-1 - len(seen) // 5].id or 0)
        world.desk().tag(conversations[len(seen) // 5], "moved")
        world.session.commit()
        page = list_conversations(
            world.session, world.olga.id or 0, InboxFilter(), limit=5, cursor=page.next_cursor
        )
        seen += [item.id for item in page.items]
    assert len(seen) == len(set(seen)), "a conversation was listed twice"
    assert set(seen) == {c.id for c in conversations}, "a conversation was skipped"
    assert changed  # rows did move while paging


def test_page_costs_the_same_number_of_queries_whatever_its_size(world: World, engine: Engine) -> None:
    for n in range(12):
        conversation = world.conversation(f"Contact {n}")
        desk = world.desk()
        desk.tag(conversation, f"tag{n % 3}")
        desk.assign(conversation, world.ivan if n % 2 else None)
        world.session.commit()
        world.reply(conversation, world.ivan, "ответ")

    def queries_for(limit: int) -> int:
        statements: list[str] = []

        def count(*args: object) -> None:
            if not str(args[2]).startswith("BEGIN"):
                statements.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            world.page(limit=limit, tags=("tag1",), unread=True)
            world.page(limit=limit)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    assert queries_for(2) == queries_for(12) == 8  # page, tags, unread counts, tab counts


def test_bad_cursor_and_limit_are_refused(world: World) -> None:
    world.conversation("Анна")
    with pytest.raises(DomainError):
        list_conversations(world.session, world.olga.id or 0, InboxFilter(), cursor="not-a-cursor")
    with pytest.raises(DomainError):
        list_conversations(world.session, world.olga.id or 0, InboxFilter(), limit=0)
    with pytest.raises(DomainError):
        list_conversations(world.session, world.olga.id or 0, InboxFilter(status="gone"))  # type: ignore[arg-type]


def test_get_conversation_pages_back_through_messages(world: World) -> None:
    anna = world.conversation("Анна", text="первое")
    for n in range(2, 8):
        world.visitor(anna, f"сообщение {n}")
    desk = world.desk()
    desk.post_operator_message(
        anna,
        world.ivan,
        NewMessage(text="файл", attachments=(NewAttachment("a" * 64, "счёт.pdf", "application/pdf", 10),)),
    )
    world.session.commit()

    view = get_conversation(world.session, world.olga.id or 0, anna.id or 0, limit=3)
    assert view is not None
    assert view.item.message_count == 8
    assert view.item.unread_count == 8
    assert [m.text for m in view.messages] == ["сообщение 6", "сообщение 7", "файл"]
    assert view.has_older
    last = view.messages[-1]
    assert last.operator is not None
    assert last.operator.name == "Ivan"
    assert [a.filename for a in last.attachments] == ["счёт.pdf"]

    older = get_conversation(
        world.session, world.olga.id or 0, anna.id or 0, before=view.messages[0].id, limit=5
    )
    assert older is not None
    assert [m.text for m in older.messages] == ["первое", *(f"сообщение {n}" for n in range(2, 6))]
    assert not older.has_older
    assert get_conversation(world.session, world.olga.id or 0, 999_999) is None


def test_a_conversation_without_messages_is_listed_by_its_start(world: World) -> None:
    world.conversation("Анна")
    contact = add_contact(world.session, now=world.clock.now(), name="Boris")
    desk = world.desk()
    desk.start_conversation(contact, Source.CHAT, "Пусто")
    world.session.commit()

    first = world.list()[0]
    assert first.contact.name == "Boris"
    assert first.last_message is None
    assert item_to_json(first)["last_message"] is None


def test_older_mail_imported_later_does_not_become_the_last_message(world: World) -> None:
    anna = world.conversation("Анна", text="Свежее письмо")
    world.conversation("Boris")
    older = Desk(world.session, world.clock.now() - timedelta(days=30))
    older.post_visitor_message(anna, NewMessage(text="Письмо месячной давности", source=Source.EMAIL))
    world.session.commit()

    items = {item.contact.name: item for item in world.list()}
    assert names(world.list()) == ["Boris", "Анна"]
    assert items["Анна"].message_count == 2
    assert items["Анна"].last_message is not None
    assert items["Анна"].last_message.text == "Свежее письмо"
