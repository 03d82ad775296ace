"""Migration 0004 fills in the last message of conversations that existed before it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import text
from sqlmodel import Session

from bridge.db import alembic_config, make_engine
from chatcore.inbox import InboxFilter, list_conversations

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _at(minute: int) -> str:
    return T0.replace(minute=minute).strftime("%Y-%m-%d %H:%M:%S.%f")


def test_existing_conversations_get_their_last_message(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url, str(tmp_path))
    config = alembic_config(engine)
    command.upgrade(config, "0003_spool_due_index")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO operator (id, email, alternate_emails, name, password_hash, role, active,"
                " notify_email, notify_sound, notify_browser, created_at)"
                " VALUES (1, 'op@example.com', '[]', 'Olga', '', 'operator', true, true, true, true, :t)"
            ),
            {"t": _at(0)},
        )
        for contact, name in ((1, "Анна"), (2, "Boris"), (3, "Вера")):
            connection.execute(
                text(
                    "INSERT INTO contact (id, name, phone, notes, properties, first_seen, last_seen)"
                    " VALUES (:id, :name, '', '', '{}', :t, :t)"
                ),
                {"id": contact, "name": name, "t": _at(0)},
            )
            connection.execute(
                text(
                    "INSERT INTO conversation (id, contact_id, status, subject, channel, message_count,"
                    " created_at, updated_at, visitor_seen_message_id, visitor_emailed_message_id)"
                    " VALUES (:id, :id, 'open', '', 'email', 0, :t, :updated, 0, 0)"
                ),
                # updated_at says Вера was touched last (a tag, say); Анна wrote last
                {"id": contact, "t": _at(contact), "updated": _at(50 + contact)},
            )
        messages = [
            (1, 1, "visitor", False, "Где мой заказ?", 10),
            (2, 2, "visitor", False, "Hello", 11),
            (3, 2, "operator", False, "Hi! " + "x" * 300, 12),
            (4, 1, "operator", True, "заметка", 13),
            (5, 1, "visitor", False, "Ау!", 20),
        ]
        for message_id, conversation, author, note, body, minute in messages:
            connection.execute(
                text(
                    "INSERT INTO message (id, conversation_id, author_kind, text, is_note, source,"
                    " from_other_address, verdicts, delivery, created_at)"
                    " VALUES (:id, :c, :author, :body, :note, 'email', false, '{}', '{}', :t)"
                ),
                {"id": message_id, "c": conversation, "author": author, "body": body, "note": note,
                 "t": _at(minute)},
            )
        connection.execute(
            text(
                "INSERT INTO readmark (operator_id, conversation_id, last_read_message_id,"
                " last_emailed_message_id) VALUES (1, 1, 1, 0)"
            )
        )
    command.upgrade(config, "0004_inbox_read_model")

    with Session(engine) as session:
        items = list_conversations(session, 1, InboxFilter()).items
    command.downgrade(config, "0003_spool_due_index")  # and back, losing nothing it did not add
    command.upgrade(config, "0004_inbox_read_model")
    with Session(engine) as session:
        assert list_conversations(session, 1, InboxFilter()).items == items
    engine.dispose()
    assert [item.contact.name for item in items] == ["Анна", "Boris", "Вера"]
    anna, boris, vera = items
    assert anna.last_message is not None
    assert anna.last_message.text == "Ау!"
    assert anna.updated_at == T0.replace(minute=20)
    assert anna.awaiting_reply
    assert anna.unread_count == 2  # the read mark survived (SQLite copies the table)
    assert boris.unread_count == 2
    assert boris.last_message is not None
    assert boris.last_message.author_kind == "operator"
    assert len(boris.last_message.text) == 200
    assert not boris.awaiting_reply
    assert vera.last_message is None
    assert vera.updated_at == T0.replace(minute=3)
