"""The store step: a visitor's mail starts or continues a conversation; a mail with nothing to show is
quarantined; duplicates are only noted."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from bridge.context import Context
from bridge.steps.store import store
from chatcore.models import Contact, Conversation
from tests.bridge.pipeline_scene import (
    deliver,
    item_of,
    mail,
    messages,
    spool,
)


def test_a_duplicate_is_only_noted(context: Context) -> None:
    with Session(context.engine) as session:
        stored = store(replace(item_of(b""), duplicate=True), session, context)
    assert (stored.outcome, stored.message_id) == ("duplicate", None)
    assert messages(context) == []


def test_an_unknown_sender_starts_an_email_conversation(context: Context) -> None:
    deliver(context, mail("Борис Петров <Boris@Example.NET>", subject="Счёт", text="Пришлите счёт"), "k1")

    [message] = messages(context)
    with Session(context.engine) as session:
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        contact = session.get(Contact, conversation.contact_id)
    assert contact is not None
    assert (contact.name, contact.email) == ("Борис Петров", "boris@example.net")
    assert (conversation.channel, conversation.subject, conversation.message_count) == ("email", "Счёт", 1)
    assert message.author_kind == "visitor"
    assert message.text == "Пришлите счёт"


def test_nul_characters_are_dropped_so_every_database_stores_the_mail(context: Context) -> None:
    raw = b"From: =?utf-8?Q?An=00na?= <anna@example.org>\r\nTo: support@example.com\r\n"
    raw += b"Subject: Or\x00der\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHel\x00lo\r\n"
    deliver(context, raw, "k1")

    [message] = messages(context)
    assert (message.text, spool(context, "k1").raw) == ("Hello", raw)
    with Session(context.engine) as session:
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        contact = session.get(Contact, conversation.contact_id)
    assert (conversation.subject, contact and contact.name) == ("Order", "Anna")


def test_an_empty_mail_is_quarantined_with_its_reason(context: Context) -> None:
    deliver(context, b"From: anna@example.org\r\nTo: support@example.com\r\nSubject:  \r\n\r\n \r\n", "k1")

    assert messages(context) == []
    item = spool(context, "k1")
    reason = "store: the mail has no text, subject or attachment to show"
    assert (item.status, item.reason) == ("quarantined", reason)
