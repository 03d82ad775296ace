"""Quiet dialogs are closed with a system message; active and already closed ones are left alone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bridge.app import build_context
from bridge.autoclose import close_inactive
from bridge.context import Context
from chatcore.models import Conversation, Message
from chatcore.services import Desk, NewMessage
from tests.conftest import make_settings
from tests.support.clock import ManualClock
from tests.support.factories import add_contact


def desk_closing_after(
    tmp_path: Path, db_url: str, engine: Engine, clock: ManualClock, after: str
) -> Context:
    settings = make_settings(tmp_path, db_url, autoclose={"after": after}, site={"language": "ru"})
    return build_context(settings, clock=clock, engine=engine)


def start(context: Context, text: str, language: str | None = None) -> int:
    with Session(context.engine) as session:
        contact = add_contact(session, now=context.clock.now(), name="Anna")
        contact.language = language
        desk = Desk(session, context.clock.now())
        conversation, _ = desk.start_conversation(contact, "chat", text)
        desk.post_visitor_message(conversation, NewMessage(text=text))
        session.commit()
        return conversation.id or 0


def state(context: Context, conversation_id: int) -> tuple[str, list[str]]:
    with Session(context.engine) as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        query = select(Message).where(Message.conversation_id == conversation_id).order_by(col(Message.id))
        return conversation.status, [f"{m.author_kind}: {m.text}" for m in session.exec(query)]


def test_quiet_dialogs_close_with_a_message(
    tmp_path: Path, db_url: str, engine: Engine, clock: ManualClock
) -> None:
    context = desk_closing_after(tmp_path, db_url, engine, clock, "7d")
    quiet = start(context, "Hello?", language="en")
    clock.advance(days=6)
    active = start(context, "Still there?")
    assert close_inactive(context) == 0

    clock.advance(days=2)
    assert close_inactive(context) == 1
    assert state(context, quiet) == (
        "closed",
        [
            "visitor: Hello?",
            "system: This conversation was closed after a period without activity. Write again any time.",
        ],
    )
    assert state(context, active)[0] == "open"
    assert close_inactive(context) == 0  # closed once, not again

    clock.advance(days=6)
    assert close_inactive(context) == 1
    assert state(context, active)[1][-1].startswith("system: Диалог закрыт")  # the site's language


def test_off_when_not_configured(context: Context, clock: ManualClock) -> None:
    conversation = start(context, "Hello?")
    clock.advance(days=365)
    assert close_inactive(context) == 0
    assert state(context, conversation)[0] == "open"
