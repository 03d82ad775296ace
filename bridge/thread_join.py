"""Threads that arrived out of order: remember what each mail names, join conversations found to be one."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bridge.context import Context
from chatcore import events as ev
from chatcore.merge import join_conversations
from chatcore.models import Conversation, ThreadReference
from chatcore.services import Desk
from inbound.parse import ParsedMail

MAX_REFERENCES = 50  # the newest ids of a long References chain are the ones that matter
JOINED_NOTE = (
    "Conversation #%(number)s was joined to this one: its mails belong to the same email thread "
    "(they arrived out of order)."
)


def thread_ids(mail: ParsedMail) -> list[str]:
    """The Message-IDs a mail names (newest last), then its own."""
    named = [*mail.references, *mail.in_reply_to][-MAX_REFERENCES:]
    own = [mail.message_id] if mail.message_id else []
    return list(dict.fromkeys([*named, *own]))


def remember_references(session: Session, context: Context, mail: ParsedMail, conversation_id: int) -> None:
    """Keep every id the mail names, known or not, and its own, against its conversation."""
    connection = session.connection()
    now = context.clock.now()
    rows = [
        {"message_id": message_id, "conversation_id": conversation_id, "created_at": now}
        for message_id in thread_ids(mail)
    ]
    if rows:
        connection.execute(_INSERT_REFERENCE[connection.dialect.name], rows)


_INSERT_REFERENCE = {
    name: dialect.insert(ThreadReference).on_conflict_do_nothing()
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}


def serialize_sender(session: Session, address: str) -> None:
    """Mail of one sender is threaded one worker at a time (PostgreSQL; SQLite has one writer anyway):
    otherwise two workers could each start a conversation for two halves of one thread."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK_SENDER, {"key": f"thread:{address.strip().lower()}"})


_LOCK_SENDER = text("SELECT pg_advisory_xact_lock(hashtext(:key))")


def join_into(
    session: Session, context: Context, desk: Desk, keeper: Conversation, joined_ids: tuple[int, ...]
) -> list[ev.Event]:
    """Join every conversation in `joined_ids` into `keeper`, each with a note in both languages."""
    events: list[ev.Event] = []
    for joined_id in joined_ids:
        joined = desk.get_conversation(joined_id)
        events += join_conversations(session, desk.now, keeper, joined, _note(context, joined_id))
    return events


def _note(context: Context, number: int) -> str:
    catalogs = (context.catalogs.get(language) for language in ("en", "ru"))
    return "\n".join(catalog.gettext(JOINED_NOTE) % {"number": number} for catalog in catalogs)
