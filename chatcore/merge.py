"""Join two conversations of one contact that turn out to be one email thread.

Everything of the joined conversation moves to the one kept: messages (their files follow them), read
marks, tags, Message-IDs and thread references, outbox mail, autoreply records and pending jobs. The
joined conversation stays as an empty row pointing at the one kept (`merged_into_id`), so that links and
reply addresses already sent still lead somewhere.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, or_, update
from sqlmodel import Session, col, select

from chatcore import events as ev
from chatcore import search_index
from chatcore.errors import DomainError
from chatcore.models import (
    AutoreplyLog,
    Conversation,
    ConversationStatus,
    ConversationTag,
    Job,
    JobStatus,
    Message,
    MessageId,
    OutboxMail,
    ReadMark,
    ThreadReference,
)
from chatcore.services import Desk

# Rows that only need their conversation changed.
_MOVED: tuple[type[Message] | type[MessageId] | type[OutboxMail] | type[AutoreplyLog], ...] = (
    Message,
    MessageId,
    OutboxMail,
    AutoreplyLog,
)


def join_conversations(
    session: Session, now: datetime, keeper: Conversation, joined: Conversation, note: str
) -> list[ev.Event]:
    """Move everything of `joined` into `keeper`, post `note` there as a system message, and leave
    `joined` empty with status "merged". Returns the events (the join, then the note)."""
    keep_id, join_id = _check(keeper, joined)
    marks = _joined_read_marks(session, keep_id, join_id)
    seen = _joined_mark(
        session, keep_id, keeper.visitor_seen_message_id, join_id, joined.visitor_seen_message_id
    )
    emailed = _joined_mark(
        session, keep_id, keeper.visitor_emailed_message_id, join_id, joined.visitor_emailed_message_id
    )
    for model in _MOVED:
        moved = update(model).where(col(model.conversation_id) == join_id).values(conversation_id=keep_id)
        session.execute(moved)  # ORM update: rows this session holds see the move too
    search_index.move_conversation(session.connection(), join_id, keep_id)
    _move_links(session, keep_id, join_id)
    _move_jobs(session, keep_id, join_id)
    _write_read_marks(session, keep_id, join_id, marks)
    _combine(keeper, joined, now)
    keeper.visitor_seen_message_id, keeper.visitor_emailed_message_id = seen, emailed
    joined.status, joined.merged_into_id = ConversationStatus.MERGED, keep_id
    joined.message_count, joined.assignee_id = 0, None
    session.add_all([keeper, joined])
    session.flush()
    return [ev.ConversationsJoined(keep_id, join_id), *Desk(session, now).post_system_message(keeper, note)]


def _check(keeper: Conversation, joined: Conversation) -> tuple[int, int]:
    if keeper.id is None or joined.id is None or keeper.id == joined.id:
        raise DomainError("a conversation is joined with another saved one")
    if keeper.contact_id != joined.contact_id:
        raise DomainError("only conversations of one contact are joined")
    if ConversationStatus.MERGED in (keeper.status, joined.status):
        raise DomainError("a conversation already joined into another cannot be joined again")
    return keeper.id, joined.id


def _combine(keeper: Conversation, joined: Conversation, now: datetime) -> None:
    keeper.message_count += joined.message_count
    keeper.created_at = min(keeper.created_at, joined.created_at)
    keeper.updated_at = now
    keeper.last_visitor_message_at = _latest(keeper.last_visitor_message_at, joined.last_visitor_message_at)
    keeper.last_operator_message_at = _latest(
        keeper.last_operator_message_at, joined.last_operator_message_at
    )
    if joined.status == ConversationStatus.OPEN:
        keeper.status = ConversationStatus.OPEN
    keeper.assignee_id = keeper.assignee_id or joined.assignee_id
    keeper.subject = keeper.subject or joined.subject


def _latest(first: datetime | None, second: datetime | None) -> datetime | None:
    return max((when for when in (first, second) if when is not None), default=None)


def _joined_mark(session: Session, keep_id: int, keep_mark: int, join_id: int, join_mark: int) -> int:
    """A "read up to" mark for the two conversations together: up to just before the first message
    that was past its own conversation's mark. Nothing unread becomes read; messages read after that
    first unread one show as unread again."""
    firsts = [
        session.exec(
            select(func.min(Message.id)).where(
                Message.conversation_id == conversation, col(Message.id) > mark
            )
        ).one()
        for conversation, mark in ((keep_id, keep_mark), (join_id, join_mark))
    ]
    unread = [first for first in firsts if first is not None]
    if unread:
        return min(unread) - 1
    return max(keep_mark, join_mark)


def _joined_read_marks(session: Session, keep_id: int, join_id: int) -> dict[int, tuple[int, int]]:
    """Per operator, (read, emailed) marks for the joined conversation, computed before messages move."""
    found: dict[int, dict[int, ReadMark]] = {}
    query = select(ReadMark).where(col(ReadMark.conversation_id).in_([keep_id, join_id]))
    for mark in session.exec(query):
        found.setdefault(mark.operator_id, {})[mark.conversation_id] = mark
    joined: dict[int, tuple[int, int]] = {}
    for operator_id, by_conversation in found.items():
        keep, join = by_conversation.get(keep_id), by_conversation.get(join_id)
        joined[operator_id] = (
            _joined_mark(
                session, keep_id, keep.last_read_message_id if keep else 0,
                join_id, join.last_read_message_id if join else 0,
            ),
            _joined_mark(
                session, keep_id, keep.last_emailed_message_id if keep else 0,
                join_id, join.last_emailed_message_id if join else 0,
            ),
        )
    return joined


def _write_read_marks(
    session: Session, keep_id: int, join_id: int, marks: dict[int, tuple[int, int]]
) -> None:
    for operator_id, (read, emailed) in marks.items():
        old = session.get(ReadMark, (operator_id, join_id))
        if old is not None:
            session.delete(old)
        mark = session.get(ReadMark, (operator_id, keep_id)) or ReadMark(
            operator_id=operator_id, conversation_id=keep_id
        )
        mark.last_read_message_id, mark.last_emailed_message_id = read, emailed
        session.add(mark)
    session.flush()


def _move_links(session: Session, keep_id: int, join_id: int) -> None:
    """Tags and thread references are keyed by conversation: the keeper gets those it lacks."""
    for model, key in ((ConversationTag, "tag_id"), (ThreadReference, "message_id")):
        rows = list(session.exec(select(model).where(col(model.conversation_id) == join_id)))
        kept = set(session.exec(select(getattr(model, key)).where(col(model.conversation_id) == keep_id)))
        for row in rows:
            session.delete(row)
        session.flush()
        for row in rows:
            if getattr(row, key) not in kept:
                session.add(model(**{**row.model_dump(), "conversation_id": keep_id}))
        session.flush()


def _move_jobs(session: Session, keep_id: int, join_id: int) -> None:
    """Pending jobs about the joined conversation now concern the keeper; their keys name the
    conversation ("kind:conversation:..."), and a job the keeper already has pending absorbs the moved one."""
    named = or_(col(Job.key).like(f"%:{join_id}:%"), col(Job.key).like(f"%:{join_id}"))
    for job in session.exec(select(Job).where(Job.status == JobStatus.PENDING, named)).all():
        if job.payload.get("conversation_id") != join_id:
            continue
        parts = job.key.split(":")
        parts[1] = str(keep_id) if parts[1] == str(join_id) else parts[1]
        key = ":".join(parts)
        twin = session.exec(select(Job.id).where(Job.key == key, Job.status == JobStatus.PENDING)).first()
        if twin is not None and key != job.key:
            job.status = JobStatus.CANCELLED
        else:
            job.key, job.payload = key, {**job.payload, "conversation_id": keep_id}
        session.add(job)
        session.flush()


def resolve(session: Session, conversation_id: int) -> int:
    """The conversation that `conversation_id` now lives in (itself unless it was joined into another)."""
    seen: set[int] = set()
    current = conversation_id
    while current not in seen:
        seen.add(current)
        found = session.connection().execute(_MERGED_INTO, {"id": current}).scalar()
        if found is None:
            return current
        current = int(found)
    return current


_MERGED_INTO = select(Conversation.merged_into_id).where(col(Conversation.id) == bindparam("id"))
