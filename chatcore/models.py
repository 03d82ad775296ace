"""The data model (SQLModel tables). All datetimes are aware and stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, UniqueConstraint, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware datetime, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Relaydesk stores aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _same_as_created(context: Any) -> Any:
    """A column default: the row's own created_at (a conversation's activity starts when it does)."""
    return context.get_current_parameters().get("created_at")


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class AuthorKind(StrEnum):
    VISITOR = "visitor"
    OPERATOR = "operator"
    SYSTEM = "system"
    AUTOREPLY = "autoreply"


class Source(StrEnum):
    CHAT = "chat"
    EMAIL = "email"
    WEB = "web"
    API = "api"


class ConversationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    MERGED = "merged"  # joined into `merged_into_id`; kept so that old links and reply tokens lead there


class Operator(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)
    alternate_emails: list[str] = _json(list)
    name: str = ""
    avatar_sha256: str | None = None
    password_hash: str = ""
    role: str = "operator"
    active: bool = True
    language: str | None = None
    notify_email: bool = True
    notify_sound: bool = True
    notify_browser: bool = True
    created_at: datetime = _when()
    # Signed into every web session; raising it ends them all (log out everywhere, password, deactivation).
    session_version: int = 0
    # The last request of theirs the desk noted (at most every few minutes: webui.guard); None: never.
    last_seen_at: datetime | None = _when(nullable=True)

    def owns_address(self, address: str) -> bool:
        wanted = address.strip().lower()
        return wanted == self.email.lower() or wanted in (a.lower() for a in self.alternate_emails)


class Contact(SQLModel, table=True):
    # One contact per verified address (stored case-folded); claimed, unverified addresses may repeat.
    __table_args__ = (
        Index(
            "ux_contact_verified_email",
            "email",
            unique=True,
            sqlite_where=text("email_verified_at IS NOT NULL"),
            postgresql_where=text("email_verified_at IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = ""
    email: str | None = Field(default=None, index=True)
    phone: str = ""
    notes: str = ""
    language: str | None = None
    properties: dict[str, Any] = _json(dict)
    visitor_id: str | None = Field(default=None, unique=True, index=True)
    first_seen: datetime = _when()
    last_seen: datetime = _when()
    undeliverable_at: datetime | None = _when(nullable=True)  # when mail to `email` last bounced for good
    undeliverable_reason: str = ""
    # None: `email` is only a claim typed into the chat; set when mail came from it or the owner confirmed it
    email_verified_at: datetime | None = _when(nullable=True)
    # The site's own id for this person (site API, widget data-user-id); unique when set
    external_id: str | None = Field(default=None, unique=True, index=True)
    visits: int = 0  # widget visits: a page view after 30 minutes without one starts a new visit
    first_source: dict[str, Any] = _json(dict)  # referrer and UTM tags of the first page view
    # The public avatar looked up for `avatar_for` (the address then): None when the service had none
    avatar_sha256: str | None = None
    avatar_for: str | None = None


class ContactEvent(SQLModel, table=True):
    # "page_view" (the widget) or "event" (the site API: `title` is the event's name)
    __table_args__ = (Index("ix_contactevent_contact_created", "contact_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    kind: str = "page_view"
    url: str = ""
    title: str = ""
    properties: dict[str, Any] = _json(dict)
    created_at: datetime = _when()


class Conversation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    status: str = Field(default=ConversationStatus.OPEN)  # indexed below, with the inbox's order
    assignee_id: int | None = Field(default=None, foreign_key="operator.id")
    subject: str = ""
    channel: str = Source.CHAT
    message_count: int = 0
    created_at: datetime = _when()
    updated_at: datetime = _when(index=True)
    last_visitor_message_at: datetime | None = _when(nullable=True)
    last_operator_message_at: datetime | None = _when(nullable=True)
    visitor_seen_message_id: int = 0
    visitor_emailed_message_id: int = 0
    # The inbox read model (chatcore/inbox.py): the newest message, stored by Desk in the statement that
    # counts it, so the list is ordered by the last message without joining or sorting messages.
    last_message_id: int | None = None
    last_message_preview: str = ""  # the start of its text (services.PREVIEW_LENGTH)
    last_message_author_kind: str = ""
    last_message_is_note: bool = False
    last_activity_at: datetime = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=False, default=_same_as_created)
    )
    awaiting_reply: bool = False  # the contact wrote after the last operator reply (notes do not count)

    merged_into_id: int | None = Field(default=None, foreign_key="conversation.id")

    # The list walks one of these in order; the trailing columns let the tab counts and the unread and
    # awaiting filters read the index alone. They change with the activity time, so cost no extra write.
    __table_args__ = (
        Index(
            "ix_conversation_status_activity",
            "status", "last_activity_at", "id", "assignee_id", "awaiting_reply", "last_message_id",
        ),
        # status last: one operator's list walks in order whichever status tab is chosen
        Index("ix_conversation_assignee_activity", "assignee_id", "last_activity_at", "id", "status"),
        Index(
            "ix_conversation_activity",
            "last_activity_at", "id", "status", "assignee_id", "awaiting_reply", "last_message_id",
        ),
    )  # fmt: skip


class Tag(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    colour: str | None = None  # a name from chatcore.tags.PALETTE; None: the default grey


class ConversationTag(SQLModel, table=True):
    __table_args__ = (Index("ix_conversationtag_tag", "tag_id", "conversation_id"),)
    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True)
    tag_id: int = Field(foreign_key="tag.id", primary_key=True)


class Message(SQLModel, table=True):
    # A conversation's messages in order: the dialog pages back and unread counts are range counts.
    __table_args__ = (Index("ix_message_conversation_order", "conversation_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    author_kind: str = AuthorKind.VISITOR
    operator_id: int | None = Field(default=None, foreign_key="operator.id")
    text: str = ""
    html: str | None = None
    is_note: bool = False
    source: str = Source.CHAT
    email_message_id: str | None = Field(default=None, index=True)
    from_address: str | None = None
    from_other_address: bool = False
    spool_item_id: int | None = Field(default=None, foreign_key="spoolitem.id")
    content_sha256: str | None = Field(default=None, index=True)
    verdicts: dict[str, Any] = _json(dict)
    delivery: dict[str, Any] = _json(dict)
    created_at: datetime = _when()


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    sha256: str = Field(index=True)
    filename: str = ""
    content_type: str = "application/octet-stream"
    size: int = 0
    content_id: str | None = None
    inline: bool = False


class SavedReply(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    text: str
    # The author; null for replies older than authorship, which only admins edit.
    owner_id: int | None = Field(default=None, foreign_key="operator.id", index=True)
    shared: bool = True  # False: only the owner sees and uses it
    created_at: datetime = _when()
    updated_at: datetime = _when()


class ReadMark(SQLModel, table=True):
    # Stored in its key's order on SQLite: the unread filter looks up one mark per listed conversation,
    # one B-tree search each instead of the key index and then the row.
    __table_args__ = {"sqlite_with_rowid": False}
    operator_id: int = Field(foreign_key="operator.id", primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True)
    last_read_message_id: int = 0
    last_emailed_message_id: int = 0


class MessageId(SQLModel, table=True):
    """Every Message-ID sent or received, so replies thread into their conversation."""

    message_id: str = Field(primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    recipient: str | None = None
    created_at: datetime = _when()


class SpoolStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


class SpoolItem(SQLModel, table=True):
    """One inbound mail exactly as it arrived; kept after processing and linked to its message."""

    # Pending mail is claimed oldest first: the index hands over a batch without sorting the backlog.
    # Pending mail is taken in the order it was acknowledged (the spool's order, which is the id order).
    __table_args__ = (
        Index("ix_spoolitem_due", "status", "received_at", "id"),
        Index("ix_spoolitem_pending", "status", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(unique=True)
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(index=True)
    envelope_from: str | None = None
    envelope_to: list[str] = _json(list)
    status: str = SpoolStatus.PENDING
    reason: str = ""  # in English, for logs and the command line
    # the same as a code with arguments (chatcore.mail_reasons), put into words in the reader's language
    reason_detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    attempts: int = 0
    claimed_until: datetime | None = _when(nullable=True)
    received_at: datetime = _when()
    processed_at: datetime | None = _when(nullable=True)
    next_attempt_at: datetime | None = _when(nullable=True)  # deferred after a temporary failure
    deferred_since: datetime | None = _when(nullable=True)  # first temporary failure of this run


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMail(SQLModel, table=True):
    """A composed email waiting for (or done with) delivery; committed with what caused it."""

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", index=True)
    kind: str = "notification"
    recipient: str
    envelope_from: str = ""
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    email_message_id: str = ""
    message_ids: list[int] = _json(list)
    status: str = OutboxStatus.PENDING
    attempts: int = 0
    last_error: str = ""
    next_attempt_at: datetime = _when()
    deadline: datetime = _when()
    claimed_until: datetime | None = _when(nullable=True)
    sent_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()
    lease_token: str = ""  # who holds `claimed_until`: a send is recorded only by the lease's holder


class JobStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"


class Job(SQLModel, table=True):
    """Timed work (delayed notifications, reply checks) kept in the database so restarts lose nothing."""

    __table_args__ = (
        Index("ix_job_due", "status", "due_at"),
        # one pending job per key, even when two transactions schedule it at once
        Index(
            "ux_job_pending_key",
            "key",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    key: str = Field(index=True)
    payload: dict[str, Any] = _json(dict)
    status: str = JobStatus.PENDING
    due_at: datetime = _when()
    claimed_until: datetime | None = _when(nullable=True)
    attempts: int = 0
    last_error: str = ""
    created_at: datetime = _when()


class AutoreplyLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    recipient: str = Field(default="", index=True)
    rule: str
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    sent_at: datetime = _when(index=True)


class ImapCursor(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("account", "folder"),)
    id: int | None = Field(default=None, primary_key=True)
    account: str
    folder: str
    uidvalidity: int
    last_uid: int


class ApiToken(SQLModel, table=True):
    """A personal API token: only its SHA-256 is kept, so the token itself is shown once."""

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="operator.id", index=True)
    name: str = ""
    token_sha256: str = Field(unique=True, index=True)
    created_at: datetime = _when()
    last_used_at: datetime | None = _when(nullable=True)
    revoked_at: datetime | None = _when(nullable=True)


class SiteKey(SQLModel, table=True):
    """A key of the site's own server (site API, widget user hashes). The key is its own HMAC secret
    for user hashes, so the server keeps it (see docs/security.md); bearer lookups go by its SHA-256."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = ""
    key_sha256: str = Field(unique=True, index=True)
    secret: str
    created_at: datetime = _when()
    last_used_at: datetime | None = _when(nullable=True)
    revoked_at: datetime | None = _when(nullable=True)


class EventLog(SQLModel, table=True):
    """What changed, one row per committed event, written in the transaction of the change; pruned to
    a bounded backlog. Streams in every process read it after the last id they have sent."""

    id: int | None = Field(default=None, primary_key=True)
    type: str
    conversation_id: int | None = None
    payload: dict[str, Any] = _json(dict)
    created_at: datetime = _when()


class ThreadReference(SQLModel, table=True):
    """A Message-ID that a mail of this conversation names (In-Reply-To, References) or that is its own,
    kept even while no mail with that id has arrived: when it arrives, or another mail names the same
    id, the two belong to one thread."""

    message_id: str = Field(primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True, index=True)
    created_at: datetime = _when()


# Search (chatcore/search_index.py). The index over `terms` is per database and made by migration
# 0009: FTS5 tables searchtext_fts/searchperson_fts on SQLite, a tsvector column `vector` with a GIN
# index on PostgreSQL; neither is declared here, as SQLModel has no type for them.
_SEARCH_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # INTEGER PRIMARY KEY is SQLite's rowid


class SearchText(SQLModel, table=True):
    """A conversation's subject (ordinal 0) or one of its messages, as stemmed terms.
    id = conversation_id << 24 | ordinal."""

    id: int = Field(sa_column=Column(_SEARCH_ID, primary_key=True, autoincrement=False))
    message_id: int | None = Field(default=None, foreign_key="message.id")
    terms: str = ""


class SearchPerson(SQLModel, table=True):
    """A contact's name, email, phone and notes as stemmed terms; id = the contact's id."""

    id: int = Field(
        sa_column=Column(_SEARCH_ID, sa.ForeignKey("contact.id"), primary_key=True, autoincrement=False)
    )
    terms: str = ""
