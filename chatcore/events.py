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
class ConversationsJoined:
    """`joined_id` turned out to be part of the same thread: everything of it is now in `conversation_id`."""

    conversation_id: int
    joined_id: int


Event = (
    ConversationStarted
    | MessagePosted
    | ConversationClosed
    | ConversationReopened
    | ConversationTagged
    | ConversationUntagged
    | ConversationAssigned
    | ConversationRead
    | ConversationsJoined
)
