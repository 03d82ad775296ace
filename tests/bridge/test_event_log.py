"""The event log and the hub of one process, on each backend: an event exists exactly when its change
committed, streams get each event once, resume after their cursor, and start over past the backlog."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bridge import event_log, notifications
from bridge.app import build_event_hub
from bridge.context import Context
from bridge.db import transaction
from bridge.delivery import deliver_due
from bridge.events import Subscription
from chatcore.events import Delivery
from chatcore.models import EventLog, Message, OutboxMail
from chatcore.services import Desk, NewMessage
from outbound.transport import MaildirTransport
from tests.support.factories import add_contact
from webui.sse import event_stream


def visitor_writes(context: Context, text: str, *, commit: bool = True) -> int:
    """A new conversation with one visitor message, through react as every writer does; its id."""
    with Session(context.engine) as session:
        now = context.clock.now()
        # a claimed (unverified) address: every call makes a new contact, and only verified ones are unique
        contact = add_contact(session, now=now, name="Anna", email="anna@example.org", verified=False)
        desk = Desk(session, now)
        conversation, events = desk.start_conversation(contact, "chat", text)
        events += desk.post_visitor_message(conversation, NewMessage(text=text))
        notifications.react(session, context, events)
        conversation_id = conversation.id or 0
        session.commit() if commit else session.rollback()
    return conversation_id


def logged(context: Context) -> list[EventLog]:
    with Session(context.engine) as session:
        return list(session.exec(select(EventLog).order_by(col(EventLog.id))))


def test_an_event_is_logged_when_its_change_commits_and_never_when_it_rolls_back(context: Context) -> None:
    visitor_writes(context, "rolled back", commit=False)
    assert logged(context) == []

    conversation_id = visitor_writes(context, "Hello")
    rows = logged(context)
    assert [row.type for row in rows] == ["conversation_opened", "message_posted"]
    assert {row.conversation_id for row in rows} == {conversation_id}
    posted = rows[1].payload
    assert posted["author_kind"] == "visitor"
    assert posted["is_note"] is False
    assert posted["contact_id"]


def test_a_sent_email_logs_the_delivery_state_of_the_messages_it_carried(
    context: Context, tmp_path: Path
) -> None:
    conversation_id = visitor_writes(context, "Hello")
    with transaction(context.engine) as session:
        message = session.exec(select(Message)).one()
        session.add(
            OutboxMail(
                conversation_id=conversation_id,
                recipient="anna@example.org",
                envelope_from="support@example.com",
                raw=b"Subject: hi\r\n\r\nhi\r\n",
                message_ids=[message.id or 0],
                next_attempt_at=context.clock.now(),
                deadline=context.clock.now(),
                created_at=context.clock.now(),
            )
        )
    assert deliver_due(context, MaildirTransport(tmp_path / "out")) == 1
    change = logged(context)[-1]
    assert change.type == "delivery_changed"
    assert change.conversation_id == conversation_id
    assert change.payload["status"] == "sent"
    assert change.payload["recipient"] == "anna@example.org"


def test_the_log_keeps_a_bounded_backlog_and_knows_a_cursor_older_than_it(context: Context) -> None:
    for n in range(15):
        visitor_writes(context, f"message {n}")  # two events each
    assert event_log.prune(context.engine, keep=10) == 20
    ids = [row.id or 0 for row in logged(context)]
    assert len(ids) == 10
    with Session(context.engine) as session:
        assert event_log.is_too_old(session, ids[0] - 2)
        assert not event_log.is_too_old(session, ids[0] - 1)
        assert not event_log.is_too_old(session, ids[-1])
        assert event_log.is_too_old(session, ids[-1] + 1000)  # not a cursor of this desk


def test_a_stream_gets_each_event_once_and_another_resumes_after_its_cursor(context: Context) -> None:
    async def scenario() -> None:
        hub = build_event_hub(context)
        live = hub.subscribe(None)
        assert await live.next(0.05) == []  # nothing yet: time for a heartbeat
        await asyncio.to_thread(visitor_writes, context, "first")
        got = await collect(live, 2)
        assert [d.event.type for d in got if d.event] == ["conversation_opened", "message_posted"]
        cursor = got[-1].cursor

        await asyncio.to_thread(visitor_writes, context, "second")
        await asyncio.to_thread(visitor_writes, context, "third")
        resumed = hub.subscribe(cursor)
        again = await collect(resumed, 4)
        also_live = await collect(live, 4)
        assert [d.event.id for d in again if d.event] == [d.event.id for d in also_live if d.event]
        assert all(d.event and d.event.id > cursor for d in again)
        assert await resumed.next(0.3) == []  # nothing twice, though the replay and the hub overlap
        await hub.close()
        assert await live.next(5) is None  # a closed hub ends its streams

    asyncio.run(scenario())


def test_a_stream_resuming_from_before_the_backlog_is_told_to_start_over(context: Context) -> None:
    for n in range(6):
        visitor_writes(context, f"message {n}")
    event_log.prune(context.engine, keep=4)

    async def scenario() -> list[Delivery]:
        hub = build_event_hub(context)
        try:
            return await collect(hub.subscribe(1), 1)
        finally:
            await hub.close()

    (reset,) = asyncio.run(scenario())
    assert reset.event is None
    assert reset.cursor == max(row.id or 0 for row in logged(context))


def test_a_change_committed_once_the_client_is_connected_reaches_the_first_stream_of_a_process(
    context: Context,
) -> None:
    """The browser counts itself connected when the response headers arrive; a desk that changes right
    then, before the body is read and before this process's hub has started, must still be heard."""

    async def scenario() -> str:
        hub = build_event_hub(context)  # a process's hub that no stream has started yet
        try:
            response = await event_stream(hub.subscribe(None), 5.0, lambda event: event.json_text)
            await asyncio.to_thread(visitor_writes, context, "written as the stream connected")
            return await asyncio.wait_for(read_until(response.body_iterator, "message_posted"), timeout=10)
        finally:
            await hub.close()

    heard = asyncio.run(scenario())
    assert '"type":"conversation_opened"' in heard


async def read_until(body: AsyncIterator[Any], text: str) -> str:
    heard = ""
    while text not in heard:
        heard += str(await anext(body))
    return heard


async def collect(subscription: Subscription, count: int, timeout: float = 15) -> list[Delivery]:
    found: list[Delivery] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while len(found) < count:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            pytest.fail(f"only {len(found)} of {count} events arrived: {found}")
        batch = await subscription.next(remaining)
        assert batch is not None, "the stream ended"
        found += batch
    return found
