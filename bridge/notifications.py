"""Who hears about a message, and when: delayed, coalesced, skipped once read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlmodel import Session, col, select

from bridge import autoreplies, digest, event_log, jobs
from bridge.context import Context
from bridge.db import batch_memo
from bridge.email_confirmation import send_confirmation
from bridge.i18n import language_or_default
from bridge.mail_files import operator_file_views, small_files, visitor_file_views
from bridge.mailer import Envelope, contact_label, message_view, send_templated
from bridge.tokens import Party, Token
from chatcore import events as ev
from chatcore.contacts import can_email
from chatcore.mail_reasons import MailReason, mail_reason_text, refusal_hint
from chatcore.models import (
    AuthorKind,
    Contact,
    Conversation,
    Job,
    JobStatus,
    Message,
    Operator,
    ReadMark,
    Source,
)
from chatcore.sizes import MAX_QUOTED_TEXT

NOTIFY_OPERATOR = "notify_operator"
NOTIFY_VISITOR = "notify_visitor"
HISTORY = 10


def react(session: Session, context: Context, events: list[ev.Event]) -> None:
    """Turn domain events into effects, in the caller's transaction: the event log (which every live
    stream reads), notifications and autoreplies."""
    event_log.record(session, events, context.clock.now())
    for event in events:
        if isinstance(event, ev.EmailClaimed):
            send_confirmation(session, context, event)
        if not isinstance(event, ev.MessagePosted) or event.is_note:
            continue
        if event.author_kind == AuthorKind.VISITOR:
            autoreplies.on_visitor_message(session, context, event)
            if not event.automatic:
                _schedule_operator_notifications(session, context, event)
        elif event.author_kind == AuthorKind.OPERATOR:
            _schedule_visitor_email(session, context, event)


def operators_to_notify(session: Session, conversation: Conversation) -> list[Operator]:
    """The assignee when there is one, else every active operator with email notifications on."""
    if conversation.assignee_id is not None:
        assignee = session.get(Operator, conversation.assignee_id)
        return [assignee] if assignee and assignee.active and assignee.notify_email else []
    return batch_memo(session, "notified_operators", lambda: list(session.exec(_NOTIFIED_OPERATORS)))


_NOTIFIED_OPERATORS = (
    select(Operator).where(col(Operator.active), col(Operator.notify_email)).order_by(col(Operator.id))
)


def _schedule_operator_notifications(session: Session, context: Context, event: ev.MessagePosted) -> None:
    """One pending job per conversation; who gets it is decided when it is due (`notify_operators`)."""
    now = context.clock.now()
    jobs.schedule(
        session,
        kind=NOTIFY_OPERATOR,
        key=f"{NOTIFY_OPERATOR}:{event.conversation_id}",
        due_at=now + context.settings.notifications.operator_email_delay,
        now=now,
        payload={"conversation_id": event.conversation_id},
    )


def _schedule_visitor_email(session: Session, context: Context, event: ev.MessagePosted) -> None:
    conversation = session.get(Conversation, event.conversation_id)
    assert conversation is not None
    contact = session.get(Contact, conversation.contact_id)
    if contact is None or not can_email(contact):
        return
    now = context.clock.now()
    began_by_email = conversation.channel == Source.EMAIL
    delay = timedelta(0) if began_by_email else context.settings.notifications.visitor_email_delay
    jobs.schedule(
        session,
        kind=NOTIFY_VISITOR,
        key=f"{NOTIFY_VISITOR}:{conversation.id}",
        due_at=now + delay,
        now=now,
        payload={"conversation_id": conversation.id},
    )


def notify_operators(session: Session, context: Context, job: Job) -> None:
    """Whoever should hear about the conversation now: its assignee at this moment, or everyone when it
    has none (a dialog assigned or handed over since the message follows its new owner); an operator who
    has read it in the meantime is skipped. Other conversations' notifications due within one delay are
    taken over by this job, so each operator gets one email per burst: the conversation alone, or one
    digest listing them all. Jobs queued by older versions name one operator: they are treated the same
    way, and the later ones find everything already emailed."""
    burst = dict.fromkeys([int(job.payload["conversation_id"]), *_take_burst(session, context, job)])
    conversations = [found for found in (session.get(Conversation, cid) for cid in burst) if found]
    for operator, theirs in _recipients(session, conversations):
        waiting = [found for found in (_unread_for(session, operator, c) for c in theirs) if found]
        if len(waiting) == 1:
            _send_notification(session, context, operator, waiting[0])
        elif waiting:
            digest.send_digest(session, context, operator, waiting)


def _recipients(
    session: Session, conversations: list[Conversation]
) -> list[tuple[Operator, list[Conversation]]]:
    found: dict[int, tuple[Operator, list[Conversation]]] = {}
    for conversation in conversations:
        for operator in operators_to_notify(session, conversation):
            found.setdefault(operator.id or 0, (operator, []))[1].append(conversation)
    return list(found.values())


def _take_burst(session: Session, context: Context, job: Job) -> list[int]:
    """The other operator notifications pending within one delay from now, taken over (and marked
    done) by this job; rows another worker holds are left to it."""
    horizon = context.clock.now() + context.settings.notifications.operator_email_delay
    query = (
        select(Job)
        .where(
            col(Job.kind) == NOTIFY_OPERATOR,
            col(Job.status) == JobStatus.PENDING,
            col(Job.id) != job.id,
            col(Job.due_at) <= horizon,
        )
        .order_by(col(Job.id))
        .limit(digest.MAX_CONVERSATIONS - 1)
        .with_for_update(skip_locked=True)
    )
    taken = list(session.exec(query))
    for other in taken:
        other.status = JobStatus.DONE
        session.add(other)
    return [int(other.payload["conversation_id"]) for other in taken]


def _unread_for(session: Session, operator: Operator, conversation: Conversation) -> digest.Waiting | None:
    mark = session.get(ReadMark, (operator.id, conversation.id)) or ReadMark(
        operator_id=operator.id or 0, conversation_id=conversation.id or 0
    )
    after = max(mark.last_read_message_id, mark.last_emailed_message_id)
    unread = _messages(session, conversation, after, authors=(AuthorKind.VISITOR,))
    return digest.Waiting(conversation, mark, unread) if unread else None


def _send_notification(
    session: Session, context: Context, operator: Operator, waiting: digest.Waiting
) -> None:
    conversation, mark, unread = waiting.conversation, waiting.mark, waiting.unread
    contact = session.get(Contact, conversation.contact_id)
    assert contact is not None
    history = _last_messages(session, conversation, HISTORY)
    operators = {o.id or 0: o for o in session.exec(select(Operator))}
    language = language_or_default(operator.language, context.settings.site.language)
    inbox_url = f"{context.settings.site.base_url.rstrip('/')}/inbox/{conversation.id}"
    files = operator_file_views(session, unread, inbox_url)
    send_templated(
        session,
        context,
        template="operator_notification",
        conversation=conversation,
        envelope=Envelope(
            operator.name,
            operator.email,
            Token(Party.OPERATOR, conversation.id or 0, operator.id or 0),
            language,
        ),
        values={
            "conversation": conversation,
            "contact": contact,
            "contact_label": contact_label(contact),
            "new_messages": [
                message_view(m, operators, files.get(m.id or 0, []), quote_limit=MAX_QUOTED_TEXT)
                for m in unread
            ],
            "history": [
                message_view(m, operators, quote_limit=MAX_QUOTED_TEXT)
                for m in history
                if m.id not in {u.id for u in unread}
            ],
            "inbox_url": inbox_url,
        },
        message_ids=[m.id or 0 for m in unread],
        kind=NOTIFY_OPERATOR,
        auto_submitted="auto-generated",
    )
    mark.last_emailed_message_id = max(m.id or 0 for m in unread)
    session.add(mark)


def notify_visitor(session: Session, context: Context, job: Job) -> None:
    conversation = session.get(Conversation, job.payload["conversation_id"])
    if conversation is None:
        return
    contact = session.get(Contact, conversation.contact_id)
    if contact is None or not can_email(contact) or not contact.email:
        return
    after = max(conversation.visitor_seen_message_id, conversation.visitor_emailed_message_id)
    missed = _messages(session, conversation, after, authors=(AuthorKind.OPERATOR, AuthorKind.AUTOREPLY))
    if not missed:
        return
    operators = {o.id or 0: o for o in session.exec(select(Operator))}
    language = language_or_default(contact.language, context.settings.site.language)
    files = visitor_file_views(session, context, missed)
    send_templated(
        session,
        context,
        template="visitor_message",
        conversation=conversation,
        envelope=Envelope(
            contact.name, contact.email, Token(Party.VISITOR, conversation.id or 0, contact.id or 0), language
        ),
        values={
            "conversation": conversation,
            "contact": contact,
            "messages": [
                message_view(m, operators, files.get(m.id or 0, []), context.settings.site.base_url)
                for m in missed
            ],
        },
        message_ids=[m.id or 0 for m in missed],
        kind=NOTIFY_VISITOR,
        auto_submitted=None,
        attachments=small_files(context, session, missed),
    )
    conversation.visitor_emailed_message_id = max(m.id or 0 for m in missed)
    session.add(conversation)


def tell_operator_of_refusal(
    session: Session,
    context: Context,
    operator_id: int,
    conversation_id: int,
    reason: str | MailReason | Sequence[MailReason],
) -> None:
    """A mail to an operator's reply address was refused: the operator hears why, nothing else does.
    Reasons are put into the operator's language; a str (a desk rule a command broke) is sent as is."""
    operator = session.get(Operator, operator_id)
    conversation = session.get(Conversation, conversation_id)
    if operator is None or conversation is None or not operator.active:
        return
    language = language_or_default(operator.language, context.settings.site.language)
    if isinstance(reason, str):
        why, hint = reason, "command"
    else:
        reasons = [reason] if isinstance(reason, MailReason) else list(reason)
        catalog = context.catalogs.get(language)
        why = _joined([mail_reason_text(each, catalog) for each in reasons])
        hint = refusal_hint(reasons[-1].code)  # the DKIM refusal of commands comes last
    send_templated(
        session,
        context,
        template="operator_refused",
        conversation=conversation,
        envelope=Envelope(
            operator.name, operator.email, Token(Party.OPERATOR, conversation_id, operator_id), language
        ),
        values={"conversation": conversation, "reason": why, "hint": hint},
        message_ids=[],
        kind="operator_refused",
        auto_submitted="auto-generated",
    )


def _joined(sentences: list[str]) -> str:
    """Sentences joined by "; ", each after the first starting lower-case (an acronym stays as it is)."""
    rest = [text[:1].lower() + text[1:] if text[1:2].islower() else text for text in sentences[1:]]
    return "; ".join(sentences[:1] + rest)


def _last_messages(session: Session, conversation: Conversation, count: int) -> list[Message]:
    """The newest `count` messages (notes excepted), oldest first: loaded alone, however long the thread."""
    query = (
        select(Message)
        .where(Message.conversation_id == conversation.id, col(Message.is_note).is_(False))
        .order_by(col(Message.id).desc())
        .limit(count)
    )
    return list(reversed(session.exec(query).all()))


def _messages(
    session: Session, conversation: Conversation, after: int, authors: tuple[str, ...] | None
) -> list[Message]:
    query = select(Message).where(
        Message.conversation_id == conversation.id, col(Message.id) > after, col(Message.is_note).is_(False)
    )
    if authors is not None:
        query = query.where(col(Message.author_kind).in_(authors))
    return list(session.exec(query.order_by(col(Message.id))))


JOB_HANDLERS = {
    NOTIFY_OPERATOR: notify_operators,
    NOTIFY_VISITOR: notify_visitor,
    autoreplies.CHECK_NO_REPLY: autoreplies.check_no_operator_reply,
}
