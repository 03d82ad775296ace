"""chatcore.tags: counts, rename, merge without duplicates, delete, colours (on the test database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from chatcore import tags
from chatcore.errors import Conflict, FieldError, NotFound
from chatcore.models import Conversation
from chatcore.services import Desk
from tests.support.factories import add_contact

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def tagged(session: Session, *names_per_dialog: tuple[str, ...]) -> list[int]:
    """One conversation for each tuple, carrying those tags; their ids."""
    ids = []
    for n, names in enumerate(names_per_dialog):
        contact = add_contact(session, now=NOW, name=f"P{n}", email=f"p{n}@example.org")
        desk = Desk(session, NOW)
        conversation, _ = desk.start_conversation(contact, "chat", f"Dialog {n}")
        for name in names:
            desk.tag(conversation, name)
        ids.append(conversation.id or 0)
    session.commit()
    return ids


def tags_by_dialog(session: Session, ids: list[int]) -> list[list[str]]:
    desk = Desk(session, NOW)
    conversations = [session.get(Conversation, i) for i in ids]
    return [sorted(desk.tags_of(c)) if c else [] for c in conversations]


def conversation(session: Session, conversation_id: int) -> Conversation:
    found = session.get(Conversation, conversation_id)
    assert found is not None
    return found


def test_counts_rename_and_colour(engine: Engine) -> None:
    with Session(engine) as session:
        ids = tagged(session, ("billing", "vip"), ("billing",), ("unused",))
        Desk(session, NOW).untag(conversation(session, ids[2]), "unused")
        session.commit()
        assert [(c.name, c.conversations) for c in tags.counts(session)] == [
            ("billing", 2),
            ("unused", 0),
            ("vip", 1),
        ]
        tags.change(session, "billing", new_name=" Invoices ", colour="red")
        session.commit()
        assert tags.colours(session) == {"invoices": "red"}
        with pytest.raises(Conflict):
            tags.change(session, "invoices", new_name="vip")
        with pytest.raises(FieldError) as bad_colour:
            tags.change(session, "vip", colour="magenta")
        assert bad_colour.value.field == "colour"
        with pytest.raises(FieldError):
            tags.change(session, "vip", new_name="two words")
        with pytest.raises(NotFound):
            tags.change(session, "nothing", colour="red")
        tags.change(session, "invoices", colour="grey")
        assert tags.colours(session) == {}


def test_merge_leaves_each_dialog_one_tag_and_delete_removes_it_everywhere(engine: Engine) -> None:
    with Session(engine) as session:
        ids = tagged(session, ("billing", "invoices"), ("invoices",), ("billing",), ("other",))
        tags.merge(session, "invoices", "billing")
        session.commit()
        assert tags_by_dialog(session, ids) == [["billing"], ["billing"], ["billing"], ["other"]]
        assert [c.name for c in tags.counts(session)] == ["billing", "other"]
        with pytest.raises(FieldError):
            tags.merge(session, "billing", "billing")
        with pytest.raises(NotFound):
            tags.merge(session, "billing", "nothing")
        assert tags.remove(session, "billing") == 3
        session.commit()
        assert tags_by_dialog(session, ids) == [[], [], [], ["other"]]
