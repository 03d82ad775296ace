"""The inbox read model: the dialog list and one dialog as the desk and the API show them.

Pure reads on the caller's session. A list page costs four queries whatever its size: the page
(conversation with its stored last message, contact and assignee in one), its tags, its unread
counts (read marks of the listed conversations only) and the tab counts (one pass over the
filtered conversations).
Conversations are ordered by their last message (stored on the row by chatcore.services), newest
first, and paged by keyset: the cursor is the last row's (activity time, id).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, Integer, Select, String, and_, bindparam, func, tuple_
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
    UTCDateTime,
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
    shape, params = _shape(filters, operator_id)
    if cursor is not None:
        params["at"], params["after"] = decode_cursor(cursor)
    params["limit"] = limit + 1
    rows = _fetch(session, _page_statement(shape, cursor is not None), params)
    more = len(rows) > limit
    items = _items(session, operator_id, rows[:limit])
    last = items[-1] if more else None
    next_cursor = encode_cursor(last.updated_at, last.id) if last else None
    return InboxPage(items, next_cursor, tab_counts(session, operator_id, filters))


def list_rows(
    session: Session, operator_id: int, filters: InboxFilter, conversation_ids: Sequence[int]
) -> dict[int, InboxItem]:
    """The list rows of these conversations that pass the filters, by id: a live page updates the
    rows an event touched without reading the whole list again."""
    if not conversation_ids:
        return {}
    shape, params = _shape(filters, operator_id)
    wanted = col(Conversation.id).in_(list(conversation_ids))
    rows = _fetch(session, _with_read_mark(_rows_query([*_conditions(shape), wanted]), shape), params)
    return {item.id: item for item in _items(session, operator_id, rows)}


def tab_counts(session: Session, operator_id: int, filters: InboxFilter) -> TabCounts:
    """The three tab counts `list_conversations` gives, without the page."""
    shape, params = _shape(filters, operator_id)
    counted = _fetch(session, _counts_statement(replace(shape, assignee="any")), params)[0]
    return TabCounts(mine=counted[0] or 0, unassigned=counted[1] or 0, all=counted[2] or 0)


def _search_page(
    session: Session, operator_id: int, filters: InboxFilter, limit: int, cursor: str | None
) -> InboxPage:
    """The list narrowed to dialogs matching `filters.q`, best match first (then newest activity),
    each item with its excerpt; the tab counts are of the matching dialogs."""
    query = parse_query(filters.q or "")
    offset = decode_search_cursor(cursor) if cursor is not None else 0
    shape, params = _shape(filters, operator_id)
    matching = search_find(session.connection(), query)
    every_assignee = replace(shape, assignee="any")
    everything = search_ranked(
        session, matching, _conditions(every_assignee), params, lambda q: _with_read_mark(q, every_assignee)
    )
    found = everything
    if shape.assignee != "any":
        found = search_ranked(
            session, matching, _conditions(shape), params, lambda q: _with_read_mark(q, shape)
        )
    ids = [key for key, _ in found[offset : offset + limit]]
    listed = {row[0]: row for row in _fetch(session, _rows_query([col(Conversation.id).in_(ids)]), {})}
    items = _items(session, operator_id, [listed[key] for key in ids if key in listed])
    shown = search_excerpts(session, query, matching, ids)
    items = [replace(item, excerpt=shown.get(item.id, "")) for item in items]
    more = len(found) > offset + limit
    next_cursor = encode_search_cursor(offset + limit) if more else None
    assignee = col(Conversation.assignee_id)
    counting = select_columns(
        func.count().filter(assignee == operator_id), func.count().filter(assignee.is_(None)), func.count()
    ).where(col(Conversation.id).in_([key for key, _ in everything]))
    counted = _fetch(session, counting, {})[0]
    counts = TabCounts(mine=counted[0] or 0, unassigned=counted[1] or 0, all=counted[2] or 0)
    return InboxPage(items, next_cursor, counts)


def get_conversation(
    session: Session, operator_id: int, conversation_id: int, before: int | None = None, limit: int = 50
) -> ConversationView | None:
    """A conversation and its messages, oldest first: the newest `limit`, or the `limit` before the
    message `before`. None when there is no such conversation."""
    if not 1 <= limit <= MAX_MESSAGES:
        raise DomainError(f"limit must be between 1 and {MAX_MESSAGES}")
    rows = _fetch(session, _ONE_ROW, {"conversation": conversation_id})
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
# The SQL of a page depends only on which filters are set (its shape); their values go in as bound
# parameters. So each shape's statements are built once, and the database sees few distinct queries.


@dataclass(frozen=True)
class _Shape:
    status: bool
    assignee: Literal["any", "none", "one"]
    tags: int
    unread: bool
    awaiting: bool
    contact: bool


def _shape(filters: InboxFilter, operator_id: int) -> tuple[_Shape, dict[str, Any]]:
    params: dict[str, Any] = {"me": operator_id}
    if filters.status not in ("open", "closed", "all"):
        raise DomainError(f'status must be "open", "closed" or "all", not "{filters.status}"')
    params["status"] = filters.status
    assignee: Literal["any", "none", "one"] = "any"
    if filters.assignee == "none":
        assignee = "none"
    elif filters.assignee == "me":
        assignee, params["assignee"] = "one", operator_id
    elif isinstance(filters.assignee, int) and not isinstance(filters.assignee, bool):
        assignee, params["assignee"] = "one", filters.assignee
    elif filters.assignee is not None:
        raise DomainError(f'assignee must be "me", "none" or an operator id, not "{filters.assignee}"')
    tags = list(dict.fromkeys(tag.strip().lower() for tag in filters.tags))
    params.update({f"tag_{n}": name for n, name in enumerate(tags)})
    params["contact"] = filters.contact_id
    shape = _Shape(
        status=filters.status != "all",
        assignee=assignee,
        tags=len(tags),
        unread=filters.unread,
        awaiting=filters.awaiting,
        contact=filters.contact_id is not None,
    )
    return shape, params


_Assignee = aliased(Operator, name="assignee")
_Mark = aliased(ReadMark, name="mark")
_ROW_COLUMNS = (
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
    col(Conversation.last_message_author_kind),
    col(Conversation.last_message_is_note),
)


def _rows_query(where: Sequence[ColumnElement[bool]]) -> Select[*tuple[Any, ...]]:
    """Everything a list row shows but its tags and unread count, in one SELECT."""
    return (
        select_columns(*_ROW_COLUMNS)
        .join(Contact, col(Contact.id) == col(Conversation.contact_id))
        .outerjoin(_Assignee, col(_Assignee.id) == col(Conversation.assignee_id))
        .where(*where)
    )


@lru_cache(maxsize=256)
def _page_statement(shape: _Shape, after_cursor: bool) -> Select[*tuple[Any, ...]]:
    where = _conditions(shape)
    if after_cursor:
        keyset = tuple_(col(Conversation.last_activity_at), col(Conversation.id))
        after = tuple_(bindparam("at", type_=UTCDateTime()), bindparam("after", type_=Integer()))
        where.append(keyset < after)
    return (
        _with_read_mark(_rows_query(where), shape)
        .order_by(col(Conversation.last_activity_at).desc(), col(Conversation.id).desc())
        .limit(bindparam("limit", type_=Integer()))
    )


@lru_cache(maxsize=256)
def _counts_statement(shape: _Shape) -> Select[*tuple[Any, ...]]:
    """The three tab counts in one pass over the conversations the other filters leave."""
    assignee = col(Conversation.assignee_id)
    counts = select_columns(
        func.count().filter(assignee == bindparam("me", type_=Integer())),
        func.count().filter(assignee.is_(None)),
        func.count(),
    ).select_from(Conversation)
    return _with_read_mark(counts, shape).where(*_conditions(shape))


def _with_read_mark(query: Select[*tuple[Any, ...]], shape: _Shape) -> Select[*tuple[Any, ...]]:
    """The unread filter joins the asking operator's read mark: PostgreSQL hashes the marks for the
    counts (a subquery per row cost it 50,000 index lookups) and loops for the page, which stops early."""
    if not shape.unread:
        return query
    return query.outerjoin(
        _Mark,
        and_(
            col(_Mark.conversation_id) == col(Conversation.id),
            col(_Mark.operator_id) == bindparam("me", type_=Integer()),
        ),
    )


_ONE_ROW = _rows_query([col(Conversation.id) == bindparam("conversation", type_=Integer())])


def _conditions(shape: _Shape) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if shape.status:
        where.append(col(Conversation.status) == bindparam("status", type_=String()))
    else:  # "all" is open and closed: a conversation joined into another lives on only as a redirect
        where.append(col(Conversation.status) != ConversationStatus.MERGED.value)
    if shape.assignee == "one":
        where.append(col(Conversation.assignee_id) == bindparam("assignee", type_=Integer()))
    elif shape.assignee == "none":
        where.append(col(Conversation.assignee_id).is_(None))
    for n in range(shape.tags):
        tagged = (
            select_columns(col(ConversationTag.conversation_id))
            .join(Tag, col(Tag.id) == col(ConversationTag.tag_id))
            .where(col(Tag.name) == bindparam(f"tag_{n}", type_=String()))
        )
        where.append(col(Conversation.id).in_(tagged))
    if shape.unread:
        where.append(col(Conversation.last_message_id) > func.coalesce(col(_Mark.last_read_message_id), 0))
    if shape.awaiting:
        where.append(col(Conversation.awaiting_reply).is_(True))
    if shape.contact:
        where.append(col(Conversation.contact_id) == bindparam("contact", type_=Integer()))
    return where


def _fetch(session: Session, query: Any, params: dict[str, Any]) -> list[Any]:
    session.flush()  # what the caller changed in this session is part of what it reads
    return list(session.connection().execute(query, params))


def _items(session: Session, operator_id: int, rows: Sequence[Any]) -> list[InboxItem]:
    ids = [row[0] for row in rows]
    tags = _tags_of(session, ids)
    unread = _unread_counts(session, operator_id, ids)
    return [_item(row, tags.get(row[0], ()), unread.get(row[0], 0)) for row in rows]


def _item(row: Any, tags: tuple[str, ...], unread: int) -> InboxItem:
    (
        conversation_id, status, subject, message_count, awaiting, activity, last_id, preview,
        contact_id, contact_name, contact_email, assignee_id, assignee_name, assignee_avatar,
        last_author, last_is_note,
    ) = row  # fmt: skip
    last = LastMessage(last_id, preview, last_author, bool(last_is_note), activity) if last_id else None
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
    found: dict[int, list[str]] = {}
    for conversation_id, name in _fetch(session, _TAGS_OF, {"ids": ids}) if ids else []:
        found.setdefault(conversation_id, []).append(name)
    return {key: tuple(names) for key, names in found.items()}


def _unread_counts(session: Session, operator_id: int, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = _fetch(session, _UNREAD, {"ids": ids, "me": operator_id})
    return {int(conversation_id): int(count) for conversation_id, count in rows}


_TAGS_OF = (
    select_columns(col(ConversationTag.conversation_id), col(Tag.name))
    .join(Tag, col(Tag.id) == col(ConversationTag.tag_id))
    .where(col(ConversationTag.conversation_id).in_(bindparam("ids", expanding=True)))
    .order_by(col(Tag.name))
)
# Messages after the operator's read mark, for the listed conversations only: each is a range count
# on (conversation_id, id) from its own read mark, never a join of all the operator's marks.
_AFTER_MARK = (
    select_columns(func.count())
    .where(
        col(Message.conversation_id) == col(Conversation.id),
        col(Message.id) > func.coalesce(col(ReadMark.last_read_message_id), 0),
    )
    .correlate(Conversation, ReadMark)
    .scalar_subquery()
)
_UNREAD = (
    select_columns(col(Conversation.id), _AFTER_MARK)
    .outerjoin(
        ReadMark,
        and_(
            col(ReadMark.conversation_id) == col(Conversation.id),
            col(ReadMark.operator_id) == bindparam("me", type_=Integer()),
        ),
    )
    .where(
        col(Conversation.id).in_(bindparam("ids", expanding=True)),
        col(Conversation.last_message_id) > func.coalesce(col(ReadMark.last_read_message_id), 0),
    )
)


# --- one dialog -----------------------------------------------------------------------------------

_Author = aliased(Operator, name="author")


def _messages(
    session: Session, conversation_id: int, before: int | None, limit: int
) -> tuple[list[MessageView], bool]:
    params = {"conversation": conversation_id, "before": before, "limit": limit + 1}
    rows = list(session.exec(_NEWEST_MESSAGES if before is None else _MESSAGES_BEFORE, params=params))
    has_older = len(rows) > limit
    rows = rows[:limit][::-1]
    files = attachments_by_message(session, [message.id or 0 for message, *_ in rows])
    views = [
        _message_view(message, OperatorRef(a_id, a_name, a_avatar) if a_id else None, files)
        for message, a_id, a_name, a_avatar in rows
    ]
    return views, has_older


_NEWEST_MESSAGES = (
    select(Message, col(_Author.id), col(_Author.name), col(_Author.avatar_sha256))
    .outerjoin(_Author, col(_Author.id) == col(Message.operator_id))
    .where(col(Message.conversation_id) == bindparam("conversation", type_=Integer()))
    .order_by(col(Message.id).desc())
    .limit(bindparam("limit", type_=Integer()))
)
_MESSAGES_BEFORE = _NEWEST_MESSAGES.where(col(Message.id) < bindparam("before", type_=Integer()))


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
