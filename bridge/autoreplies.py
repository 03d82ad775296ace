"""Autoreplies: the rules decide (chatcore.autoreply), this module gathers the facts and acts.

The verdict (codes, see chatcore.autoreply.reasons) is stored with the visitor message, so the inbox
can say why it got (or did not get) an autoreply. An answer is posted in the chat and, for email
conversations, mailed with `Auto-Submitted: auto-replied`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from bridge import jobs
from bridge.context import Context
from bridge.i18n import language_or_default
from bridge.mailer import Envelope, contact_label, send_templated
from bridge.rulebook import Rules
from bridge.tokens import Party, Token
from chatcore import events as ev
from chatcore.autoreply import AutoreplySituation, Channel, Trigger, Verdict, decide, render
from chatcore.contacts import can_email
from chatcore.identity import is_verified
from chatcore.models import AuthorKind, AutoreplyLog, Contact, Conversation, Job, Message, Source
from chatcore.services import Desk

CHECK_NO_REPLY = "autoreply_no_operator_reply"


def on_visitor_message(session: Session, context: Context, event: ev.MessagePosted) -> None:
    """Decide right away for new conversations and messages; schedule the "no reply within" checks."""
    rules = context.rules.current
    if not rules.autoreplies:
        return
    message = session.get(Message, event.message_id)
    conversation = session.get(Conversation, event.conversation_id)
    assert message is not None
    assert conversation is not None
    first = conversation.message_count == 1
    trigger = Trigger.NEW_CONVERSATION if first else Trigger.VISITOR_MESSAGE
    verdict = _decide(session, rules, context, conversation, message, trigger, waiting_since=None)
    message.verdicts = {**message.verdicts, "autoreply": [r.to_json() for r in verdict.reasons]}
    session.add(message)
    if verdict.rule is not None:
        answer(session, rules, context, conversation, verdict)
    elif not event.automatic:
        _schedule_no_reply_checks(session, rules, context, conversation, message)


def _schedule_no_reply_checks(
    session: Session, rules: Rules, context: Context, conversation: Conversation, message: Message
) -> None:
    now = context.clock.now()
    for rule in rules.autoreplies:
        if rule.trigger is Trigger.NO_OPERATOR_REPLY and rule.after is not None:
            jobs.schedule(
                session,
                kind=CHECK_NO_REPLY,
                key=f"{CHECK_NO_REPLY}:{conversation.id}:{rule.name}",
                due_at=now + rule.after,
                now=now,
                payload={"conversation_id": conversation.id, "message_id": message.id},
            )


def check_no_operator_reply(session: Session, context: Context, job: Job) -> None:
    """A scheduled check: answer only when no operator has replied since the visitor wrote."""
    conversation = session.get(Conversation, job.payload["conversation_id"])
    message = session.get(Message, job.payload["message_id"])
    if conversation is None or message is None:
        return
    replied = conversation.last_operator_message_at
    if replied is not None and replied >= message.created_at:
        return
    rules = context.rules.current
    verdict = _decide(
        session, rules, context, conversation, message, Trigger.NO_OPERATOR_REPLY, message.created_at
    )
    message.verdicts = {**message.verdicts, "autoreply_check": [r.to_json() for r in verdict.reasons]}
    session.add(message)
    if verdict.rule is not None:
        answer(session, rules, context, conversation, verdict)


def _decide(
    session: Session,
    rules: Rules,
    context: Context,
    conversation: Conversation,
    message: Message,
    trigger: Trigger,
    waiting_since: datetime | None,
) -> Verdict:
    contact = session.get(Contact, conversation.contact_id)
    assert contact is not None
    now = context.clock.now()
    classification = str(message.verdicts.get("classification", "human"))
    situation = AutoreplySituation(
        at=now,
        channel=Channel.EMAIL if message.source == Source.EMAIL else Channel.CHAT,
        trigger=trigger,
        is_automatic_mail=classification != "human",
        automatic_reason=message.verdicts.get("automatic_reason") or classification,
        last_autoreply_at=_last_autoreplies(session, contact),
        autoreplies_last_hour=_recent_count(session, contact, now - timedelta(hours=1)),
        waiting_since=waiting_since,
    )
    return decide(rules.autoreplies, rules.hours, situation)


def answer(
    session: Session, rules: Rules, context: Context, conversation: Conversation, verdict: Verdict
) -> None:
    rule = next(r for r in rules.autoreplies if r.name == verdict.rule)
    contact = session.get(Contact, conversation.contact_id)
    assert contact is not None
    now = context.clock.now()
    language = language_or_default(contact.language, context.settings.site.language)
    text = render(
        rule,
        language,
        contact_name=contact.name,
        site_name=context.settings.site.name,
        next_open=verdict.next_open,
        hours=rules.hours,
        now=now,
        catalogs=context.catalogs.get,
    )
    posted = Desk(session, now).post_system_message(conversation, text, kind=AuthorKind.AUTOREPLY)
    session.add(
        AutoreplyLog(
            contact_id=contact.id,
            recipient=contact.email if contact.email and is_verified(contact) else "",
            rule=rule.name,
            conversation_id=conversation.id,
            sent_at=now,
        )
    )
    if conversation.channel == Source.EMAIL and can_email(contact):
        _mail_answer(session, context, conversation, contact, language, text, posted)


def _mail_answer(
    session: Session,
    context: Context,
    conversation: Conversation,
    contact: Contact,
    language: str,
    text: str,
    posted: list[ev.Event],
) -> None:
    message_ids = [e.message_id for e in posted if isinstance(e, ev.MessagePosted)]
    send_templated(
        session,
        context,
        template="autoreply",
        conversation=conversation,
        envelope=Envelope(
            contact.name,
            contact.email or "",
            Token(Party.VISITOR, conversation.id or 0, contact.id or 0),
            language,
        ),
        values={
            "conversation": conversation,
            "contact": contact,
            "text": text,
            "name": contact_label(contact),
        },
        message_ids=message_ids,
        kind="autoreply",
        auto_submitted="auto-replied",
    )
    conversation.visitor_emailed_message_id = max([conversation.visitor_emailed_message_id, *message_ids])
    session.add(conversation)


def _last_autoreplies(session: Session, contact: Contact) -> dict[str, datetime]:
    rows = session.exec(
        select(AutoreplyLog.rule, func.max(AutoreplyLog.sent_at))
        .where(AutoreplyLog.contact_id == contact.id)
        .group_by(col(AutoreplyLog.rule))
    ).all()
    return {rule: sent for rule, sent in rows if sent is not None}


def _recent_count(session: Session, contact: Contact, since: datetime) -> int:
    query = select(func.count()).select_from(AutoreplyLog).where(col(AutoreplyLog.sent_at) >= since)
    if contact.email and is_verified(contact):  # a mere claim must not use up the owner's quota
        query = query.where(AutoreplyLog.recipient == contact.email)
    else:
        query = query.where(AutoreplyLog.contact_id == contact.id)
    return int(session.exec(query).one())
