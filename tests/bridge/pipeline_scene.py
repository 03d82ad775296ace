"""A desk with one operator, one contact and one conversation, and mail delivered to it through the spool and
the worker: what the tests of the pipeline's runner and of each of its steps share."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from sqlmodel import Session, col, select

from bridge.context import Context
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from bridge.steps.item import Item
from bridge.tokens import Party, Token
from chatcore.models import Message, SpoolItem
from chatcore.services import Desk
from tests.support.clock import ManualClock
from tests.support.factories import add_contact, add_operator

SUPPORT = "support@example.com"


@dataclass(frozen=True)
class Scene:
    conversation_id: int
    contact_id: int
    operator_id: int


@pytest.fixture
def scene(context: Context) -> Scene:
    with Session(context.engine) as session:
        now = context.clock.now()
        operator = add_operator(session, "olga@example.com", now=now, alternate_emails=["olga@home.example"])
        contact = add_contact(session, now=now, name="Anna", email="anna@example.org")
        conversation, _ = Desk(session, now).start_conversation(contact, "chat", "Order")
        made = Scene(conversation.id or 0, contact.id or 0, operator.id or 0)
        session.commit()
    return made


def mail(
    sender: str,
    to: str = SUPPORT,
    text: str = "Hello there",
    subject: str = "Question",
    message_id: str | None = None,
    **headers: str,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(ManualClock().now())
    message["Message-ID"] = message_id or make_msgid(domain="client.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes()


def deliver(context: Context, raw: bytes, key: str, envelope_to: list[str] | None = None) -> None:
    assert store_raw(context, key, raw, None, envelope_to or [])
    process_pending(context)


def messages(context: Context) -> list[Message]:
    with Session(context.engine) as session:
        return list(session.exec(select(Message).order_by(col(Message.id))))


def spool(context: Context, key: str) -> SpoolItem:
    with Session(context.engine) as session:
        return session.exec(select(SpoolItem).where(SpoolItem.source_key == key)).one()


def operator_address(context: Context, scene: Scene) -> str:
    return context.codec.reply_address(
        SUPPORT, Token(Party.OPERATOR, scene.conversation_id, scene.operator_id).stamped(context.clock.now())
    )


def item_of(raw: bytes) -> Item:
    return Item(spool_id=0, raw=raw, envelope_from=None, envelope_to=(SUPPORT,))
