"""`relaydesk export`: every conversation as one JSON line, streamed.

It reads in one read transaction (a consistent snapshot that does not hold SQLite's write lock, so the
worker goes on meanwhile) and in batches of conversations, each batch costing the same four queries
however many messages it holds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bridge.db import read_transaction
from chatcore.models import Contact, Conversation, ConversationTag, Message, Operator, Tag

BATCH = 200


def export_rows(engine: Engine, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Each conversation as the export shows it, oldest first."""
    with read_transaction(engine) as session:
        operators = {o.id: o.email for o in session.exec(select(Operator))}
        after = 0
        while conversations := session.exec(_CONVERSATIONS, params={"after": after, "size": batch}).all():
            yield from _batch_rows(session, conversations, operators)
            after = conversations[-1].id or 0
            session.expunge_all()  # a batch done is forgotten: memory stays one batch


def _batch_rows(
    session: Session, conversations: Sequence[Conversation], operators: dict[int | None, str]
) -> Iterator[dict[str, Any]]:
    ids = [c.id for c in conversations]
    contact_ids = [c.contact_id for c in conversations]
    contacts = {c.id: c for c in session.exec(_CONTACTS, params={"ids": contact_ids})}
    tags: dict[int, list[str]] = defaultdict(list)
    for conversation_id, name in session.exec(_TAGS, params={"ids": ids}):
        tags[conversation_id].append(name)
    messages: dict[int, list[Message]] = defaultdict(list)
    for message in session.exec(_MESSAGES, params={"ids": ids}):
        messages[message.conversation_id].append(message)
    for conversation in conversations:
        key = conversation.id or 0
        yield _row(conversation, contacts.get(conversation.contact_id), tags[key], messages[key], operators)


def _row(
    conversation: Conversation,
    contact: Contact | None,
    tags: list[str],
    messages: list[Message],
    operators: dict[int | None, str],
) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "status": conversation.status,
        "channel": conversation.channel,
        "subject": conversation.subject,
        "created_at": conversation.created_at.isoformat(),
        "contact": {
            "name": contact.name if contact else "",
            "email": contact.email if contact else None,
            "phone": contact.phone if contact else "",
        },
        "tags": tags,
        "messages": [
            {
                "author_kind": m.author_kind,
                "operator_email": operators.get(m.operator_id),
                "text": m.text,
                "is_note": m.is_note,
                "source": m.source,
                "created_at": m.created_at.isoformat(),
                "delivery": m.delivery,
            }
            for m in messages
        ],
    }


# Built once: building a statement costs more than running it.
_CONVERSATIONS = (
    select(Conversation)
    .where(col(Conversation.id) > bindparam("after"))
    .order_by(col(Conversation.id))
    .limit(bindparam("size"))
)
_CONTACTS = select(Contact).where(col(Contact.id).in_(bindparam("ids", expanding=True)))
_TAGS = (
    select(ConversationTag.conversation_id, Tag.name)
    .join(Tag, col(ConversationTag.tag_id) == col(Tag.id))
    .where(col(ConversationTag.conversation_id).in_(bindparam("ids", expanding=True)))
    .order_by(col(ConversationTag.conversation_id), col(Tag.name))
)
_MESSAGES = (
    select(Message)
    .where(col(Message.conversation_id).in_(bindparam("ids", expanding=True)))
    .order_by(col(Message.conversation_id), col(Message.id))
)
