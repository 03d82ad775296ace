"""Reads take no write lock: pages can hold read transactions open while the worker stores mail."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from bridge.context import Context
from bridge.db import read_session, transaction
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from chatcore.inbox import InboxFilter, list_conversations
from chatcore.models import Conversation, Operator, SpoolItem, SpoolStatus
from tests.support.factories import add_operator


def mail(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"client{number}@example.org"
    message["To"] = "support@example.com"
    message["Subject"] = f"Вопрос {number}"
    message["Message-ID"] = f"<{number}@client.example>"
    message.set_content("Здравствуйте! Where is my order?")
    return message.as_bytes()


def test_two_readers_stay_open_while_the_worker_stores_mail(context: Context) -> None:
    with transaction(context.engine) as session:
        olga = add_operator(session, "olga@example.com", now=context.clock.now())
    for number in range(5):
        assert store_raw(context, f"smtp:{number}", mail(number), None, ["support@example.com"])

    with read_session(context.engine) as first, read_session(context.engine) as second:
        assert list_conversations(first, olga.id or 0, InboxFilter()).items == []
        second.exec(select(Operator)).all()
        # both readers are inside their transactions now; the worker claims, stores and commits
        assert process_pending(context) == 5
        list_conversations(first, olga.id or 0, InboxFilter())
    with read_session(context.engine) as session:
        assert len(session.exec(select(Conversation)).all()) == 5
        statuses = set(session.exec(select(SpoolItem.status)).all())
    assert statuses == {SpoolStatus.DONE}


def test_a_read_session_cannot_write_on_postgresql(context: Context) -> None:
    if context.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no read-only transactions; reads there simply begin deferred")
    with read_session(context.engine) as session, pytest.raises(DBAPIError, match="read-only"):
        session.exec(text("UPDATE conversation SET subject = 'x'"))  # type: ignore[call-overload]
