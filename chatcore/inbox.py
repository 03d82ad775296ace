"""The inbox read model: the dialog list and one dialog as the desk and the API show them.

Pure reads on the caller's session. A list page costs four queries whatever its size: the page
(conversation, contact, assignee and last message in one), its tags, its unread counts (read marks
of the listed conversations only) and the tab counts (one pass over the filtered conversations).
Conversations are ordered by their last message (stored on the row by chatcore.services), newest
first, and paged by keyset: the cursor is the last row's (activity time, id).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, func, tuple_
from sqlalchemy import select as select_columns
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from chatcore.errors import DomainError
from chatcore.files import attachments_by_message
from chatcore.models import (
    Attachment,
    Contact,
    Conversation,
    ConversationStatus,
    ConversationTag,
    Message,
    Operator,
    ReadMark,
    Tag,
)
from chatcore.search import excerpts as search_excerpts
from chatcore.search import find as search_find
from chatcore.search import parse_query
from chatcore.search import ranked as search_ranked

StatusFilter = Literal["open", "closed", "all"]
AssigneeFilter = Literal["me", "none"] | int | None
MAX_LIMIT = 100
MAX_MESSAGES = 200


@dataclass(frozen=True)
class InboxFilter:
    status: StatusFilter = "open"
    assignee: AssigneeFilter = None  # None: anyone; "me": the operator asking; "none": unassigned
    tags: tuple[str, ...] = ()  # conversations carrying all of them
    unread: bool = False  # something the operator asking has not read
    awaiting: bool = False  # the contact wrote last (see Conversation.awaiting_reply)
    contact_id: int | None = None
    q: str | None = None  # full-text search (chatcore/search.py): best match first, with excerpts


@dataclass(frozen=True)
class PersonRef:
    id: int
    name: str
    email: str | None


@dataclass(frozen=True)
class OperatorRef:
    id: int
    name: str
    avatar_sha256: str | None


@dataclass(frozen=True)
class LastMessage:
    id: int
    text: str  # at most services.PREVIEW_LENGTH characters
    author_kind: str
    is_note: bool
    created_at: datetime


@dataclass(frozen=True)
class InboxItem:
    id: int
    status: str
    subject: str
    contact: PersonRef
    assignee: OperatorRef | None
    tags: tuple[str, ...]
    message_count: int
    unread_count: int
    awaiting_reply: bool
    last_message: LastMessage | None
    updated_at: datetime  # the last activity: the time of the last message (or of the start)
    excerpt: str | None = None  # with a search: the matching text, HTML-escaped, matches in <mark>


@dataclass(frozen=True)
class TabCounts:
    mine: int
    unassigned: int
    all: int


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    next_cursor: str | None
    counts: TabCounts


@dataclass(frozen=True)
class MessageView:
    id: int
    conversation_id: int
    author_kind: str
    operator: OperatorRef | None
    text: str
    html: str | None
    is_note: bool
    source: str
    from_address: str | None
    from_other_address: bool
    delivery: dict[str, Any]
    verdicts: dict[str, Any]
    created_at: datetime
    attachments: list[Attachment]


@dataclass(frozen=True)
class ConversationView:
    item: InboxItem
    messages: list[MessageView]  # oldest first
    has_older: bool


def list_conversations(
    session: Session, operator_id: int, filters: InboxFilter, limit: int = 50, cursor: str | None = None
) -> InboxPage:
    """One page of the dialog list, newest activity first, with the tab counts for the same filters
    (all but the assignee). Raises DomainError for a limit out of range or a cursor it did not make."""
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(f"limit must be between 1 and {MAX_LIMIT}")
    if filters.q and filters.q.strip():
        return _search_page(session, operator_id, filters, limit, cursor)
    shared = _conditions(filters, operator_id)
    where = [*shared, *_assignee_condition(filters.assignee, operator_id)]
    if cursor is not None:
        activity, last_id = decode_cursor(cursor)
        where.append(tuple_(col(Conversation.last_activity_at), col(Conversation.id)) < (activity, last_id))
    rows = _fetch(session, _rows_query(where, _order(filters)).limit(limit + 1))
    more = len(rows) > limit
    items = _items(session, operator_id, rows[:limit])
    last = items[-1] if more else None
    next_cursor = encode_cursor(last.updated_at, last.id) if last else None
    return InboxPage(items, next_cursor, _counts(session, operator_id, shared))


def _search_page(
    session: Session, operator_id: int, filters: InboxFilter, limit: int, cursor: str | None
) -> InboxPage:
    """The list narrowed to dialogs matching `filters.q`, best match first (then newest activity),
    each item with its excerpt; the tab counts are of the matching dialogs."""
    query = parse_query(filters.q or "")
    offset = decode_search_cursor(cursor) if cursor is not None else 0
    shared = _conditions(filters, operator_id)
    matching = search_find(session.connection(), query)
    everything = search_ranked(session, matching, shared)
    found = everything
    if filters.assignee is not None:
        found = search_ranked(
            session, matching, [*shared, *_assignee_condition(filters.assignee, operator_id)]
        )
    ids = [key for key, _ in found[offset : offset + limit]]
    listed = {row[0]: row for row in _fetch(session, _rows_query([col(Conversation.id).in_(ids)], []))}
    items = _items(session, operator_id, [listed[key] for key in ids if key in listed])
    shown = search_excerpts(session, query, matching, ids)
    items = [replace(item, excerpt=shown.get(item.id, "")) for item in items]
    more = len(found) > offset + limit
    next_cursor = encode_search_cursor(offset + limit) if more else None
    counts = _counts(session, operator_id, [col(Conversation.id).in_([key for key, _ in everything])])
    return InboxPage(items, next_cursor, counts)


def get_conversation(
    session: Session, operator_id: int, conversation_id: int, before: int | None = None, limit: int = 50
) -> ConversationView | None:
    """A conversation and its messages, oldest first: the newest `limit`, or the `limit` before the
    message `before`. None when there is no such conversation."""
    if not 1 <= limit <= MAX_MESSAGES:
        raise DomainError(f"limit must be between 1 and {MAX_MESSAGES}")
    rows = _fetch(session, _rows_query([col(Conversation.id) == conversation_id], []))
    if not rows:
        return None
    item = _items(session, operator_id, rows)[0]
    messages, has_older = _messages(session, conversation_id, before, limit)
    return ConversationView(item, messages, has_older)


def encode_cursor(activity: datetime, conversation_id: int) -> str:
    micros = (activity - _EPOCH) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(f"{micros}.{conversation_id}".encode("ascii")).decode("ascii")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        micros, conversation_id = (int(part) for part in raw.split("."))
        return _EPOCH + timedelta(microseconds=micros), conversation_id
    except (ValueError, UnicodeError, binascii.Error, OverflowError):
        raise DomainError("the cursor is not one this list gave out") from None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_search_cursor(offset: int) -> str:
    """Search results are a ranking computed per request, so their pages go by position."""
    return base64.urlsafe_b64encode(f"s{offset}".encode("ascii")).decode("ascii")


def decode_search_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        offset = int(raw[1:]) if raw.startswith("s") else -1
    except (ValueError, UnicodeError, binascii.Error):
        offset = -1
    if offset < 0:
        raise DomainError("the cursor is not one this list gave out")
    return offset


def item_to_json(item: InboxItem) -> dict[str, Any]:
    """The API's item: times in ISO 8601 UTC."""
    assignee = item.assignee
    last = item.last_message
    return {
        "id": item.id,
        "status": item.status,
        "subject": item.subject,
        "contact": {"id": item.contact.id, "name": item.contact.name, "email": item.contact.email},
        "assignee": (
            {"id": assignee.id, "name": assignee.name, "avatar_sha256": assignee.avatar_sha256}
            if assignee
            else None
        ),
        "tags": list(item.tags),
        "message_count": item.message_count,
        "unread_count": item.unread_count,
        "awaiting_reply": item.awaiting_reply,
        "last_message": (
            {
                "id": last.id,
                "text": last.text,
                "author_kind": last.author_kind,
                "is_note": last.is_note,
                "created_at": iso_utc(last.created_at),
            }
            if last
            else None
        ),
        "updated_at": iso_utc(item.updated_at),
    } | ({"excerpt": item.excerpt} if item.excerpt is not None else {})


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- the list -------------------------------------------------------------------------------------

_Assignee = aliased(Operator, name="assignee")
_Last = aliased(Message, name="last_message")


def _rows_query(where: Sequence[ColumnElement[bool]], order: Sequence[Any]) -> Select[*tuple[Any, ...]]:
    """Everything a list row shows but its tags and unread count, in one SELECT."""
    return (
        select_columns(
            col(Conversation.id),
            col(Conversation.status),
            col(Conversation.subject),
            col(Conversation.message_count),
            col(Conversation.awaiting_reply),
            col(Conversation.last_activity_at),
            col(Conversation.last_message_id),
            col(Conversation.last_message_preview),
            col(Contact.id),
            col(Contact.name),
            col(Contact.email),
            col(_Assignee.id),
            col(_Assignee.name),
            col(_Assignee.avatar_sha256),
            col(_Last.author_kind),
            col(_Last.is_note),
            col(_Last.created_at),
        )
        .join(Contact, col(Contact.id) == col(Conversation.contact_id))
        .outerjoin(_Assignee, col(_Assignee.id) == col(Conversation.assignee_id))
        .outerjoin(_Last, col(_Last.id) == col(Conversation.last_message_id))
        .where(*where)
        .order_by(*order)
    )


def _fetch(session: Session, query: Select[*tuple[Any, ...]]) -> list[Any]:
    session.flush()  # what the caller changed in this session is part of what it reads
    return list(session.connection().execute(query))


def _order(filters: InboxFilter) -> list[Any]:
    return [col(Conversation.last_activity_at).desc(), col(Conversation.id).desc()]


def _conditions(filters: InboxFilter, operator_id: int) -> list[ColumnElement[bool]]:
    """The filters the tab counts share with the list: all but the assignee."""
    where: list[ColumnElement[bool]] = []
    if filters.status != "all":
        if filters.status not in (ConversationStatus.OPEN, ConversationStatus.CLOSED):
            raise DomainError(f'status must be "open", "closed" or "all", not "{filters.status}"')
        where.append(col(Conversation.status) == filters.status)
    for name in dict.fromkeys(tag.strip().lower() for tag in filters.tags):
        tagged = (
            select(col(ConversationTag.conversation_id))
            .join(Tag, col(Tag.id) == col(ConversationTag.tag_id))
            .where(col(Tag.name) == name)
        )
        where.append(col(Conversation.id).in_(tagged))
    if filters.unread:
        where.append(col(Conversation.last_message_id) > func.coalesce(_read_up_to(operator_id), 0))
    if filters.awaiting:
        where.append(col(Conversation.awaiting_reply).is_(True))
    if filters.contact_id is not None:
        where.append(col(Conversation.contact_id) == filters.contact_id)
    return where


def _assignee_condition(assignee: AssigneeFilter, operator_id: int) -> list[ColumnElement[bool]]:
    if assignee is None:
        return []
    if assignee == "me":
        return [col(Conversation.assignee_id) == operator_id]
    if assignee == "none":
        return [col(Conversation.assignee_id).is_(None)]
    if isinstance(assignee, int) and not isinstance(assignee, bool):
        return [col(Conversation.assignee_id) == assignee]
    raise DomainError(f'assignee must be "me", "none" or an operator id, not "{assignee}"')


def _read_up_to(operator_id: int) -> Any:
    return (
        select(col(ReadMark.last_read_message_id))
        .where(
            col(ReadMark.operator_id) == operator_id,
            col(ReadMark.conversation_id) == col(Conversation.id),
        )
        .scalar_subquery()
    )


def _counts(session: Session, operator_id: int, where: Sequence[ColumnElement[bool]]) -> TabCounts:
    assignee = col(Conversation.assignee_id)
    query = select(
        func.count().filter(assignee == operator_id),
        func.count().filter(assignee.is_(None)),
        func.count(),
    ).where(*where)
    mine, unassigned, total = session.exec(query).one()
    return TabCounts(mine=mine or 0, unassigned=unassigned or 0, all=total or 0)


def _items(session: Session, operator_id: int, rows: Sequence[Any]) -> list[InboxItem]:
    ids = [row[0] for row in rows]
    tags = _tags_of(session, ids)
    unread = _unread_counts(session, operator_id, ids)
    return [_item(row, tags.get(row[0], ()), unread.get(row[0], 0)) for row in rows]


def _item(row: Any, tags: tuple[str, ...], unread: int) -> InboxItem:
    (
        conversation_id, status, subject, message_count, awaiting, activity, last_id, preview,
        contact_id, contact_name, contact_email, assignee_id, assignee_name, assignee_avatar,
        last_author, last_is_note, last_created,
    ) = row  # fmt: skip
    last = (
        LastMessage(last_id, preview, last_author, bool(last_is_note), last_created)
        if last_id is not None and last_author is not None
        else None
    )
    return InboxItem(
        id=conversation_id,
        status=status,
        subject=subject,
        contact=PersonRef(contact_id, contact_name, contact_email),
        assignee=OperatorRef(assignee_id, assignee_name, assignee_avatar) if assignee_id else None,
        tags=tags,
        message_count=message_count,
        unread_count=unread,
        awaiting_reply=bool(awaiting),
        last_message=last,
        updated_at=activity,
    )


def _tags_of(session: Session, ids: list[int]) -> dict[int, tuple[str, ...]]:
    if not ids:
        return {}
    query = (
        select(col(ConversationTag.conversation_id), col(Tag.name))
        .join(Tag, col(Tag.id) == col(ConversationTag.tag_id))
        .where(col(ConversationTag.conversation_id).in_(ids))
        .order_by(col(Tag.name))
    )
    found: dict[int, list[str]] = {}
    for conversation_id, name in session.exec(query):
        found.setdefault(conversation_id, []).append(name)
    return {key: tuple(names) for key, names in found.items()}


def _unread_counts(session: Session, operator_id: int, ids: list[int]) -> dict[int, int]:
    """Messages after the operator's read mark, for the listed conversations only: each is a range
    count on (conversation_id, id) from its own read mark, never a join of all the operator's marks."""
    if not ids:
        return {}
    after_mark = (
        select(func.count())
        .where(
            col(Message.conversation_id) == col(Conversation.id),
            col(Message.id) > func.coalesce(col(ReadMark.last_read_message_id), 0),
        )
        .correlate(Conversation, ReadMark)
        .scalar_subquery()
    )
    query = (
        select(col(Conversation.id), after_mark)
        .outerjoin(
            ReadMark,
            and_(
                col(ReadMark.conversation_id) == col(Conversation.id),
                col(ReadMark.operator_id) == operator_id,
            ),
        )
        .where(
            col(Conversation.id).in_(ids),
            col(Conversation.last_message_id) > func.coalesce(col(ReadMark.last_read_message_id), 0),
        )
    )
    return {int(conversation_id or 0): int(count) for conversation_id, count in session.exec(query)}


# --- one dialog -----------------------------------------------------------------------------------

_Author = aliased(Operator, name="author")


def _messages(
    session: Session, conversation_id: int, before: int | None, limit: int
) -> tuple[list[MessageView], bool]:
    query = (
        select(Message, col(_Author.id), col(_Author.name), col(_Author.avatar_sha256))
        .outerjoin(_Author, col(_Author.id) == col(Message.operator_id))
        .where(col(Message.conversation_id) == conversation_id)
        .order_by(col(Message.id).desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(col(Message.id) < before)
    rows = list(session.exec(query))
    has_older = len(rows) > limit
    rows = rows[:limit][::-1]
    files = attachments_by_message(session, [message.id or 0 for message, *_ in rows])
    views = [
        _message_view(message, OperatorRef(a_id, a_name, a_avatar) if a_id else None, files)
        for message, a_id, a_name, a_avatar in rows
    ]
    return views, has_older


def _message_view(
    message: Message, operator: OperatorRef | None, files: dict[int, list[Attachment]]
) -> MessageView:
    message_id = message.id or 0
    return MessageView(
        id=message_id,
        conversation_id=message.conversation_id,
        author_kind=message.author_kind,
        operator=operator,
        text=message.text,
        html=message.html,
        is_note=message.is_note,
        source=message.source,
        from_address=message.from_address,
        from_other_address=message.from_other_address,
        delivery=dict(message.delivery),
        verdicts=dict(message.verdicts),
        created_at=message.created_at,
        attachments=files.get(message_id, []),
    )
