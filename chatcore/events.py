"""Domain events: what happened, returned by the services for `react` to turn into effects."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class ConversationStarted:
    conversation_id: int
    contact_id: int
    channel: str


@dataclass(frozen=True)
class MessagePosted:
    conversation_id: int
    message_id: int
    author_kind: str
    operator_id: int | None
    is_note: bool
    source: str
    automatic: bool = False


@dataclass(frozen=True)
class ConversationClosed:
    conversation_id: int
    operator_id: int | None


@dataclass(frozen=True)
class ConversationReopened:
    conversation_id: int
    operator_id: int | None


@dataclass(frozen=True)
class ConversationTagged:
    conversation_id: int
    tag: str


@dataclass(frozen=True)
class ConversationUntagged:
    conversation_id: int
    tag: str


@dataclass(frozen=True)
class ConversationAssigned:
    conversation_id: int
    operator_id: int | None


@dataclass(frozen=True)
class ConversationRead:
    conversation_id: int
    operator_id: int
    last_read_message_id: int


@dataclass(frozen=True)
class SavedReplyChanged:
    saved_reply_id: int
    operator_id: int
    change: str  # "created" | "updated" | "deleted"


@dataclass(frozen=True)
class ContactChanged:
    """The card changed (name, address, phone, notes, properties, or the address bounced)."""

    contact_id: int
    conversation_id: int | None = None
    operator_id: int | None = None  # None: the desk itself (a bounce), not an operator
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliveryChanged:
    """An email carrying these messages was sent, deferred, failed or bounced."""

    conversation_id: int | None
    message_ids: tuple[int, ...]
    recipient: str
    status: str


@dataclass(frozen=True)
class EmailClaimed:
    """A visitor typed an address into the chat: it is unverified until its owner confirms it."""

    contact_id: int
    address: str


@dataclass(frozen=True)
class ConversationsJoined:
    """`joined_id` turned out to be part of the same thread: everything of it is now in `conversation_id`."""

    conversation_id: int
    joined_id: int


@dataclass(frozen=True)
class ConversationSeen:
    """The visitor's chat showed them the conversation up to `message_id` ("seen by the visitor")."""

    conversation_id: int
    message_id: int


Event = (
    ConversationStarted
    | MessagePosted
    | ConversationClosed
    | ConversationReopened
    | ConversationTagged
    | ConversationUntagged
    | ConversationAssigned
    | ConversationRead
    | SavedReplyChanged
    | ContactChanged
    | DeliveryChanged
    | EmailClaimed
    | ConversationsJoined
    | ConversationSeen
)

# The names events carry in the event log and on the streams (a contract for outside clients).
EVENT_TYPES: dict[type[Any], str] = {
    ConversationStarted: "conversation_opened",
    MessagePosted: "message_posted",
    ConversationClosed: "conversation_closed",
    ConversationReopened: "conversation_reopened",
    ConversationTagged: "conversation_tagged",
    ConversationUntagged: "conversation_untagged",
    ConversationAssigned: "conversation_assigned",
    ConversationRead: "conversation_read",
    ContactChanged: "contact_changed",
    DeliveryChanged: "delivery_changed",
    SavedReplyChanged: "saved_reply_changed",
    EmailClaimed: "email_claimed",
    ConversationsJoined: "conversations_joined",
    ConversationSeen: "conversation_seen",
}


@dataclass(frozen=True)
class LoggedEvent:
    """One committed event as the event log keeps it."""

    id: int
    type: str
    conversation_id: int | None
    created_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            **self.payload,
            "id": self.id,
            "type": self.type,
            "conversation_id": self.conversation_id,
            "created_at": self.created_at.isoformat(),
        }

    @cached_property
    def json_text(self) -> str:
        """`as_json()` as compact JSON, made once however many streams send it."""
        return json.dumps(self.as_json(), ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Delivery:
    """What a stream sends next. `cursor` is the id to resume after: every event at or below it has been
    sent. `event` None means the client's cursor was older than the backlog: it must start over."""

    cursor: int
    event: LoggedEvent | None
