"""The desk's operations. Each takes the caller's session and time, changes rows, returns events.

The caller owns the transaction: it commits the rows and the effects of the events together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Boolean, Integer, String, bindparam, case, func, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from chatcore import events as ev
from chatcore import saved_replies, search_index, tags
from chatcore.contact_card import ContactChanges, apply_changes
from chatcore.errors import DomainError, FieldError
from chatcore.files import NewAttachment, attachment_row
from chatcore.models import (
    AuthorKind,
    Contact,
    Conversation,
    ConversationStatus,
    ConversationTag,
    Message,
    Operator,
    ReadMark,
    SavedReply,
    Source,
    Tag,
    UTCDateTime,
)

# Posting is the hottest write (every inbound mail, every chat line): one INSERT and one UPDATE,
# built once, rather than the unit of work, which costs several times as much for the same two rows.
_INSERT_MESSAGE = insert(Message).returning(col(Message.id))
_NOW = bindparam("now", type_=UTCDateTime())
# The inbox lists conversations by their newest message: a message written earlier than that one
# (imported history) is counted but does not become the last message.
_NEWEST = col(Conversation.last_activity_at) <= _NOW


def _if_newest(value: Any, column: Any) -> Any:
    return case((_NEWEST, value), else_=column)


_COUNT_MESSAGE = (
    update(Conversation)
    .where(col(Conversation.id) == bindparam("conversation"))
    .values(
        message_count=col(Conversation.message_count) + 1,
        updated_at=_NOW,
        last_visitor_message_at=func.coalesce(
            bindparam("visitor_at", type_=UTCDateTime()), col(Conversation.last_visitor_message_at)
        ),
        last_operator_message_at=func.coalesce(
            bindparam("operator_at", type_=UTCDateTime()), col(Conversation.last_operator_message_at)
        ),
        status=func.coalesce(bindparam("new_status", type_=String()), col(Conversation.status)),
        last_message_id=_if_newest(bindparam("message", type_=Integer()), col(Conversation.last_message_id)),
        last_message_preview=_if_newest(
            bindparam("preview", type_=String()), col(Conversation.last_message_preview)
        ),
        last_message_author_kind=_if_newest(
            bindparam("author_kind", type_=String()), col(Conversation.last_message_author_kind)
        ),
        last_message_is_note=_if_newest(
            bindparam("is_note", type_=Boolean()), col(Conversation.last_message_is_note)
        ),
        last_activity_at=_if_newest(_NOW, col(Conversation.last_activity_at)),
        awaiting_reply=_if_newest(
            func.coalesce(bindparam("awaiting", type_=Boolean()), col(Conversation.awaiting_reply)),
            col(Conversation.awaiting_reply),
        ),
    )
    .returning(
        col(Conversation.message_count),
        col(Conversation.updated_at),
        col(Conversation.last_visitor_message_at),
        col(Conversation.last_operator_message_at),
        col(Conversation.status),
        col(Conversation.last_message_id),
        col(Conversation.last_message_preview),
        col(Conversation.last_message_author_kind),
        col(Conversation.last_message_is_note),
        col(Conversation.last_activity_at),
        col(Conversation.awaiting_reply),
    )
)
PREVIEW_LENGTH = 200  # characters of the last message the inbox shows


@dataclass(frozen=True)
class NewMessage:
    """What a message says and where it came from; the author is given by the service called."""

    text: str
    source: str = Source.CHAT
    html: str | None = None
    email_message_id: str | None = None
    from_address: str | None = None
    from_other_address: bool = False
    spool_item_id: int | None = None
    content_sha256: str | None = None
    automatic: bool = False
    verdicts: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[NewAttachment, ...] = ()


@dataclass(frozen=True)
class LastPosted:
    """What the inbox shows of a conversation's newest message, stored on the conversation."""

    message_id: int
    preview: str
    author_kind: str
    is_note: bool


@dataclass
class Desk:
    """Operations on conversations, bound to one session and one moment."""

    session: Session
    now: datetime

    def get_conversation(self, conversation_id: int) -> Conversation:
        conversation = self.session.get(Conversation, conversation_id)
        if conversation is None:
            raise DomainError(f"conversation {conversation_id} does not exist")
        return conversation

    def start_conversation(
        self, contact: Contact, channel: str, subject: str = ""
    ) -> tuple[Conversation, list[ev.Event]]:
        conversation = Conversation(
            contact_id=_id(contact),
            channel=channel,
            subject=subject.strip()[:250],
            created_at=self.now,
            updated_at=self.now,
            last_activity_at=self.now,
        )
        self.session.add(conversation)
        self.session.flush()
        search_index.index_subject(self.session.connection(), _id(conversation), conversation.subject)
        return conversation, [ev.ConversationStarted(_id(conversation), _id(contact), channel)]

    def post_visitor_message(self, conversation: Conversation, message: NewMessage) -> list[ev.Event]:
        return self._post(conversation, message, AuthorKind.VISITOR, None, is_note=False)

    def post_operator_message(
        self, conversation: Conversation, operator: Operator, message: NewMessage
    ) -> list[ev.Event]:
        return self._post_as_operator(conversation, operator, message, is_note=False)

    def post_note(
        self, conversation: Conversation, operator: Operator, message: NewMessage
    ) -> list[ev.Event]:
        return self._post_as_operator(conversation, operator, message, is_note=True)

    def _post_as_operator(
        self, conversation: Conversation, operator: Operator, message: NewMessage, *, is_note: bool
    ) -> list[ev.Event]:
        """An operator has read everything up to what they write."""
        self._require_active(operator)
        posted = self._post(conversation, message, AuthorKind.OPERATOR, operator, is_note=is_note)
        self._advance_read_mark(operator, conversation, _last_message_id(posted))
        return posted

    def post_system_message(
        self, conversation: Conversation, text: str, kind: str = AuthorKind.SYSTEM
    ) -> list[ev.Event]:
        if kind not in (AuthorKind.SYSTEM, AuthorKind.AUTOREPLY):
            raise DomainError(f"{kind} is not a system author")
        return self._post(conversation, NewMessage(text=text, source=Source.API), kind, None, is_note=False)

    def close(self, conversation: Conversation, operator: Operator | None = None) -> list[ev.Event]:
        if conversation.status == ConversationStatus.CLOSED:
            return []
        conversation.status = ConversationStatus.CLOSED
        self._touch(conversation)
        return [ev.ConversationClosed(_id(conversation), operator.id if operator else None)]

    def reopen(self, conversation: Conversation, operator: Operator | None = None) -> list[ev.Event]:
        if conversation.status == ConversationStatus.OPEN:
            return []
        conversation.status = ConversationStatus.OPEN
        self._touch(conversation)
        return [ev.ConversationReopened(_id(conversation), operator.id if operator else None)]

    def tag(self, conversation: Conversation, name: str) -> list[ev.Event]:
        tag = self._tag_named(name, create=True)
        assert tag is not None
        link = self.session.get(ConversationTag, (_id(conversation), _id(tag)))
        if link is not None:
            return []
        self.session.add(ConversationTag(conversation_id=_id(conversation), tag_id=_id(tag)))
        self._touch(conversation)
        return [ev.ConversationTagged(_id(conversation), tag.name)]

    def untag(self, conversation: Conversation, name: str) -> list[ev.Event]:
        tag = self._tag_named(name, create=False)
        link = self.session.get(ConversationTag, (_id(conversation), _id(tag))) if tag else None
        if tag is None or link is None:
            return []
        self.session.delete(link)
        self._touch(conversation)
        return [ev.ConversationUntagged(_id(conversation), tag.name)]

    def tags_of(self, conversation: Conversation) -> list[str]:
        query = (
            select(Tag.name)
            .join(ConversationTag, col(ConversationTag.tag_id) == col(Tag.id))
            .where(ConversationTag.conversation_id == conversation.id)
            .order_by(Tag.name)
        )
        return list(self.session.exec(query))

    def assign(self, conversation: Conversation, operator: Operator | None) -> list[ev.Event]:
        if operator is not None:
            self._require_active(operator)
        new_id = operator.id if operator else None
        if conversation.assignee_id == new_id:
            return []
        conversation.assignee_id = new_id
        self._touch(conversation)
        return [ev.ConversationAssigned(_id(conversation), new_id)]

    def mark_read(self, conversation: Conversation, operator: Operator) -> list[ev.Event]:
        last = self.last_message_id(conversation)
        if not self._advance_read_mark(operator, conversation, last):
            return []
        return [ev.ConversationRead(_id(conversation), _id(operator), last)]

    def keep_read_state(
        self, conversation: Conversation, history: list[int], operators: Iterable[Operator]
    ) -> None:
        """Messages that are history (imported old mail) add to nobody's unread count: an operator who
        had read everything before them has read them too; one who had not keeps their read mark."""
        if not history:
            return
        before = self._last_message_before(conversation, min(history))
        for operator in operators:
            mark = self.session.get(ReadMark, (_id(operator), _id(conversation)))
            if (mark.last_read_message_id if mark else 0) >= before:
                self._advance_read_mark(operator, conversation, max(history))

    def _last_message_before(self, conversation: Conversation, message_id: int) -> int:
        query = select(func.max(Message.id)).where(
            Message.conversation_id == conversation.id, col(Message.id) < message_id
        )
        return self.session.exec(query).one() or 0

    def mark_seen_by_visitor(self, conversation: Conversation, message_id: int) -> list[ev.Event]:
        if message_id <= conversation.visitor_seen_message_id:
            return []
        conversation.visitor_seen_message_id = message_id
        self.session.add(conversation)
        return [ev.ConversationSeen(_id(conversation), message_id)]

    def last_message_id(self, conversation: Conversation) -> int:
        query = select(Message.id).where(Message.conversation_id == conversation.id)
        found = self.session.exec(query.order_by(col(Message.id).desc()).limit(1)).first()
        return found or 0

    def add_saved_reply(
        self, operator: Operator, draft: saved_replies.ReplyDraft
    ) -> tuple[SavedReply, list[ev.Event]]:
        self._require_active(operator)
        reply = SavedReply(
            title=saved_replies.checked_title(draft.title),
            text=saved_replies.checked_text(draft.text),
            owner_id=_id(operator),
            shared=draft.shared,
            created_at=self.now,
            updated_at=self.now,
        )
        self.session.add(reply)
        self.session.flush()
        return reply, [ev.SavedReplyChanged(_id(reply), _id(operator), "created")]

    def change_saved_reply(
        self, reply_id: int, operator: Operator, changes: saved_replies.ReplyChanges
    ) -> tuple[SavedReply, list[ev.Event]]:
        """NotFound when `operator` does not see the reply, Forbidden when they may not edit it."""
        reply = saved_replies.editable_reply(self.session, operator, reply_id)
        values = saved_replies.checked_changes(reply, operator, changes)
        if not any(getattr(reply, name) != value for name, value in values.items()):
            return reply, []
        for name, value in values.items():
            setattr(reply, name, value)
        reply.updated_at = self.now
        self.session.add(reply)
        return reply, [ev.SavedReplyChanged(_id(reply), _id(operator), "updated")]

    def delete_saved_reply(self, reply_id: int, operator: Operator) -> list[ev.Event]:
        reply = saved_replies.editable_reply(self.session, operator, reply_id)
        self.session.delete(reply)
        return [ev.SavedReplyChanged(reply_id, _id(operator), "deleted")]

    def edit_contact(self, contact: Contact, operator: Operator, changes: ContactChanges) -> list[ev.Event]:
        """FieldError names the first bad field; then nothing has changed."""
        self._require_active(operator)
        changed = apply_changes(contact, changes)
        self.session.add(contact)
        if not changed:
            return []
        return [ev.ContactChanged(_id(contact), operator_id=_id(operator), fields=changed)]

    def _post(
        self,
        conversation: Conversation,
        new: NewMessage,
        author_kind: str,
        operator: Operator | None,
        *,
        is_note: bool,
    ) -> list[ev.Event]:
        text = new.text.strip()
        if not text and not new.html and not new.attachments:
            raise DomainError("a message needs some text or a file")
        message_id = self._insert_message(conversation, new, text, author_kind, operator, is_note=is_note)
        self.session.add_all(attachment_row(message_id, file) for file in new.attachments)
        visitor = author_kind == AuthorKind.VISITOR
        reopen = visitor and conversation.status == ConversationStatus.CLOSED and not new.automatic
        replied = author_kind == AuthorKind.OPERATOR and not is_note
        self._count_message(
            conversation,
            LastPosted(message_id, text[:PREVIEW_LENGTH], author_kind, is_note),
            visitor_at=self.now if visitor else None,
            operator_at=self.now if replied else None,
            status=ConversationStatus.OPEN if reopen else None,
            # an out-of-office answer from the contact's mailbox asks for no reply; a system line or an
            # autoreply is no reply
            awaiting=True if visitor and not new.automatic else (False if replied else None),
        )
        filenames = [file.filename for file in new.attachments]
        search_index.index_message(self.session.connection(), _id(conversation), message_id, text, filenames)
        reopened = [ev.ConversationReopened(_id(conversation), None)] if reopen else []
        return [
            *reopened,
            ev.MessagePosted(
                conversation_id=_id(conversation),
                message_id=message_id,
                author_kind=author_kind,
                operator_id=operator.id if operator else None,
                is_note=is_note,
                source=new.source,
                automatic=new.automatic,
            )
        ]

    def _insert_message(
        self,
        conversation: Conversation,
        new: NewMessage,
        text: str,
        author_kind: str,
        operator: Operator | None,
        *,
        is_note: bool,
    ) -> int:
        values = {
            "conversation_id": _id(conversation),
            "author_kind": author_kind,
            "operator_id": operator.id if operator else None,
            "text": text,
            "html": new.html,
            "is_note": is_note,
            "source": new.source,
            "email_message_id": new.email_message_id,
            "from_address": new.from_address,
            "from_other_address": new.from_other_address,
            "spool_item_id": new.spool_item_id,
            "content_sha256": new.content_sha256,
            "verdicts": dict(new.verdicts),
            "delivery": {},
            "created_at": self.now,
        }
        return cast(int, self.session.connection().execute(_INSERT_MESSAGE, values).scalar_one())

    def _count_message(
        self,
        conversation: Conversation,
        last: LastPosted,
        *,
        visitor_at: datetime | None,
        operator_at: datetime | None,
        status: str | None,
        awaiting: bool | None,
    ) -> None:
        """Count the message in SQL (no update is lost when two arrive at once), make it the last
        message the inbox shows, and show the new values on the loaded row without marking it changed."""
        if self.session.is_modified(conversation):
            self.session.flush()  # changes in hand go first, so the row read back below is the whole truth
        values = {
            "conversation": _id(conversation),
            "now": self.now,
            "visitor_at": visitor_at,
            "operator_at": operator_at,
            "new_status": status,
            "message": last.message_id,
            "preview": last.preview,
            "author_kind": last.author_kind,
            "is_note": last.is_note,
            "awaiting": awaiting,
        }
        row = self.session.connection().execute(_COUNT_MESSAGE, values).one()
        for name, value in row._mapping.items():
            set_committed_value(conversation, name, value)

    def _advance_read_mark(self, operator: Operator, conversation: Conversation, message_id: int) -> bool:
        mark = self.session.get(ReadMark, (_id(operator), _id(conversation)))
        if mark is None:
            mark = ReadMark(operator_id=_id(operator), conversation_id=_id(conversation))
        if mark.last_read_message_id >= message_id:
            return False
        mark.last_read_message_id = message_id
        self.session.add(mark)
        return True

    def _tag_named(self, name: str, *, create: bool) -> Tag | None:
        try:
            clean = tags.checked_name(name)
        except FieldError as error:
            raise DomainError(error.problem) from None
        tag = self.session.exec(select(Tag).where(Tag.name == clean)).first()
        if tag is None and create:
            tag = Tag(name=clean)
            self.session.add(tag)
            self.session.flush()
        return tag

    def _touch(self, conversation: Conversation) -> None:
        conversation.updated_at = self.now
        self.session.add(conversation)

    @staticmethod
    def _require_active(operator: Operator) -> None:
        if not operator.active:
            raise DomainError(f"operator {operator.email} is deactivated")


def _id(row: Contact | Conversation | Message | Operator | Tag | SavedReply) -> int:
    if row.id is None:
        raise DomainError(f"{type(row).__name__} has not been saved")
    return row.id


def _last_message_id(posted: list[ev.Event]) -> int:
    return max(e.message_id for e in posted if isinstance(e, ev.MessagePosted))
