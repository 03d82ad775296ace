"""Domain events: what happened, returned by the services for `react` to turn into effects."""

from __future__ import annotations

from dataclasses import dataclass


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
    contact_id: int
    operator_id: int
    fields: tuple[str, ...]


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
)
