"""Compose the emails the desk sends and put them in the outbox, threaded per recipient."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from bridge.context import Context
from bridge.db import insert_new_statements
from bridge.tokens import Token
from chatcore.models import Contact, Conversation, Message, MessageId, Operator, OutboxMail
from chatcore.sizes import shortened
from outbound.compose import OutgoingAttachment, OutgoingEmail, compose
from outbound.headers import subject_with_re
from outbound.outbox import enqueue


@dataclass(frozen=True)
class Envelope:
    """Who gets a mail and under which token their reply comes back."""

    name: str
    address: str
    token: Token | None  # None: replies go to the public address, like a new mail
    language: str


def thread_ids(session: Session, conversation_id: int, recipient: str) -> list[str]:
    """Message-IDs of this conversation as the recipient's mailbox holds them, oldest first."""
    query = (
        select(MessageId.message_id)
        .where(MessageId.conversation_id == conversation_id, MessageId.recipient == recipient.lower())
        .order_by(col(MessageId.created_at), col(MessageId.message_id))
    )
    return list(session.exec(query))


def remember_message_id(
    session: Session, context: Context, message_id: str, conversation_id: int, thread_of: str | None
) -> None:
    """Store a Message-ID against its conversation; one seen before keeps its first conversation."""
    connection = session.connection()
    values = {
        "message_id": message_id,
        "conversation_id": conversation_id,
        "recipient": thread_of.lower() if thread_of else None,
        "created_at": context.clock.now(),
    }
    connection.execute(_INSERT_NEW_ID[connection.dialect.name], values)


_INSERT_NEW_ID = insert_new_statements(MessageId, "message_id")


def send_templated(
    session: Session,
    context: Context,
    *,
    template: str,
    conversation: Conversation | None,
    envelope: Envelope,
    values: Mapping[str, Any],
    message_ids: Sequence[int],
    kind: str,
    auto_submitted: str | None,
    attachments: Sequence[OutgoingAttachment] = (),
) -> OutboxMail:
    """Render, compose and enqueue one email; its Message-ID joins the recipient's thread of the
    conversation. Mail about no conversation (an invitation) stands alone and carries no token."""
    settings = context.settings
    now = context.clock.now()
    rendered = context.renderer.render(template, envelope.language, {**values, "site": settings.site})
    earlier = thread_ids(session, conversation.id or 0, envelope.address) if conversation else []
    domain = settings.mail.domain
    token = envelope.token.stamped(now) if envelope.token else None  # operator reply addresses expire
    if token is None:
        message_id = f"rd-{secrets.token_hex(12)}@{domain}"
    else:
        message_id = context.codec.message_id(token, secrets.token_hex(6), domain)
    subject = subject_with_re(rendered.subject) if earlier else rendered.subject
    email = OutgoingEmail(
        from_name=settings.mail.from_name,
        from_address=settings.mail.address,
        to_name=envelope.name,
        to_address=envelope.address,
        subject=subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id,
        date=now,
        reply_to=context.codec.reply_address(settings.mail.address, token) if token else None,
        in_reply_to=earlier[-1] if earlier else None,
        references=tuple(earlier),
        auto_submitted=auto_submitted,
        extra_headers=(("X-Relaydesk-Origin", context.origin),),
        attachments=tuple(attachments),
    )
    row = enqueue(
        session,
        now=now,
        retry_for=settings.outbound.retry_for,
        recipient=envelope.address,
        envelope_from=settings.mail.address,
        raw=b"",
        email_message_id=message_id,
        kind=kind,
        conversation_id=conversation.id if conversation else None,
        message_ids=list(message_ids),
    )
    row.envelope_from = context.codec.bounce_address(settings.mail.address, row.id or 0)
    raw = compose(email)
    row.raw = context.dkim_signer.sign(raw) if context.dkim_signer else raw
    session.add(row)
    if conversation is not None:
        remember_message_id(session, context, message_id, conversation.id or 0, envelope.address)
    return row


def contact_label(contact: Contact) -> str:
    return contact.name or contact.email or f"Visitor #{contact.id}"


def message_view(
    message: Message,
    operators: Mapping[int, Operator],
    files: Sequence[Mapping[str, Any]] = (),
    base_url: str = "",
    quote_limit: int | None = None,
) -> dict[str, Any]:
    """A message as the email templates show it; `avatar_url` is absolute when `base_url` is given; the
    text is cut after `quote_limit` characters when one is given."""
    operator = operators.get(message.operator_id or 0)
    return {
        "id": message.id,
        "author_kind": message.author_kind,
        "author": operator.name or operator.email if operator else "",
        "avatar_url": avatar_url(base_url, operator.avatar_sha256) if operator else None,
        "initials": initials(operator.name or operator.email) if operator else "",
        "text": shortened(message.text, quote_limit, "[…]") if quote_limit else message.text,
        "created_at": message.created_at,
        "files": list(files),
    }


def avatar_url(base_url: str, digest: str | None) -> str | None:
    return f"{base_url.rstrip('/')}/avatars/{digest}" if digest else None


def initials(name: str) -> str:
    """ "Olga Ivanova" → "OI", "olga@example.com" → "O": what stands in for a missing avatar."""
    words = name.split("@", 1)[0].replace(".", " ").replace("_", " ").split()
    return "".join(word[0] for word in words[:2]).upper()
