"""Step 6: the mail stored where the route says: a visitor message, an operator reply with its commands, or
a bounce recorded on the outbox; duplicates and our own mail come back are only noted."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel import Session, select

from bridge.blobs import BlobStore
from bridge.bounces import record_bounce, sender_wrote_again
from bridge.context import Context
from bridge.mailer import remember_message_id
from bridge.operator_mail import apply_operator_reply, dkim_for_commands
from bridge.routing import Route, RouteKind
from bridge.steps.item import Item, Quarantined, kind_of, mail_of
from bridge.thread_join import join_into, remember_references
from chatcore import events as ev
from chatcore.files import NewAttachment
from chatcore.identity import verified_contact
from chatcore.mail_reasons import MailCode, mail_reason
from chatcore.models import Contact, Conversation, Operator, Source
from chatcore.services import Desk, NewMessage
from chatcore.sizes import MAX_STORED_HTML, MAX_STORED_TEXT, shortened
from inbound.classify import MailKind
from inbound.parse import ParsedMail


def store(item: Item, session: Session, context: Context) -> Item:
    if item.duplicate:
        return replace(item, outcome="duplicate")
    if kind_of(item) is MailKind.LOOP:
        return replace(item, outcome="loop: our own mail came back")
    found = item.route
    assert found is not None
    if found.kind is RouteKind.BOUNCE and item.quiet:
        return replace(item, outcome="imported bounce: kept, not applied")
    if found.kind is RouteKind.BOUNCE:
        return replace(item, outcome=record_bounce(session, context, found.outbox_id, item.classification))
    _clear_undeliverable(item, session, found)
    return _store_message(item, session, context, found)


def _clear_undeliverable(item: Item, session: Session, found: Route) -> None:
    """A visitor writing from an address that bounced shows it works again (imported history does not)."""
    if found.kind is not RouteKind.OPERATOR_REPLY and kind_of(item) is MailKind.HUMAN and not item.quiet:
        sender_wrote_again(session, mail_of(item).from_address)


def _truncated_marker(context: Context) -> str:
    translations = context.catalogs.get(context.settings.site.language)
    return translations.gettext("[Message truncated: the rest is in the original mail.]")


def _store_message(item: Item, session: Session, context: Context, found: Route) -> Item:
    mail = mail_of(item)
    desk = Desk(session, _written_at(item, context))
    text = (item.cleaned.text if item.cleaned else mail.text).strip()
    text = text or ("" if mail.attachments else mail.subject.strip())
    if not (text or mail.html or mail.attachments):
        raise Quarantined("store", mail_reason(MailCode.NOTHING_TO_SHOW))
    new = NewMessage(
        text=shortened(text, MAX_STORED_TEXT, _truncated_marker(context)),
        source=Source.EMAIL,
        html=mail.html if mail.html is None or len(mail.html) <= MAX_STORED_HTML else None,
        email_message_id=mail.message_id,
        from_address=mail.from_address,
        from_other_address=found.from_other_address,
        spool_item_id=item.spool_id,
        content_sha256=item.content_sha256,
        automatic=item.classification.is_automatic if item.classification else False,
        verdicts={
            "classification": kind_of(item).value,
            "automatic_reason": item.classification.reason if item.classification else "",
            "route": found.via,
        },
        attachments=_store_files(context, mail),
    )
    if found.kind is RouteKind.OPERATOR_REPLY:
        conversation = desk.get_conversation(found.conversation_id or 0)
        operator = session.get(Operator, found.operator_id)
        assert operator is not None
        tell = not item.quiet
        check = None if item.quiet else dkim_for_commands(context, item.raw, mail.from_address)
        applied = apply_operator_reply(
            session, context, desk, conversation, operator, new, tell=tell, commands_refused=check
        )
        if applied is None:
            told = "" if item.quiet else "; the operator was told why"
            return replace(item, outcome=f"operator reply refused{told}")
        events, thread_of = applied, operator.email
    else:
        conversation, events = _visitor_conversation(desk, session, mail, found)
        events += join_into(session, context, desk, conversation, found.joins)
        events += desk.post_visitor_message(conversation, new)
        remember_references(session, context, mail, conversation.id or 0)
        thread_of = mail.from_address
    if mail.message_id:
        remember_message_id(session, context, mail.message_id, conversation.id or 0, thread_of)
    posted = [e.message_id for e in events if isinstance(e, ev.MessagePosted)]
    if item.quiet:
        desk.keep_read_state(conversation, posted, session.exec(_ALL_OPERATORS).all())
    if not posted:
        return replace(item, events=tuple(events), outcome="commands applied")
    return replace(item, message_id=posted[-1], events=tuple(events), outcome=f"message {posted[-1]}")


def _written_at(item: Item, context: Context) -> datetime:
    """Imported history keeps the time its mail was written; live mail is stamped on arrival."""
    now = context.clock.now()
    written = mail_of(item).date
    return written if item.quiet and written is not None and written < now else now


def _visitor_conversation(
    desk: Desk, session: Session, mail: ParsedMail, found: Route
) -> tuple[Conversation, list[ev.Event]]:
    if found.kind is RouteKind.VISITOR_REPLY:
        return desk.get_conversation(found.conversation_id or 0), []
    # Only a verified address names a contact: one typed into the chat is a claim and never gets mail.
    contact = verified_contact(session, mail.from_address)
    if contact is None:
        address = mail.from_address or None
        contact = Contact(
            name=mail.from_name,
            email=address,
            email_verified_at=desk.now if address else None,  # the mail came from it
            first_seen=desk.now,
            last_seen=desk.now,
        )
        session.add(contact)
        session.flush()
    contact.last_seen = desk.now
    return desk.start_conversation(contact, Source.EMAIL, mail.subject)


_ALL_OPERATORS = select(Operator)


def _store_files(context: Context, mail: ParsedMail) -> tuple[NewAttachment, ...]:
    """The mail's files into the blob store; a rolled-back mail leaves only unreferenced blobs behind."""
    if not mail.attachments:
        return ()
    blobs = BlobStore(context.settings.path(context.settings.uploads.dir))
    return tuple(
        NewAttachment(
            sha256=blobs.put(attachment.data),
            filename=attachment.filename,
            content_type=attachment.content_type,
            size=len(attachment.data),
            content_id=attachment.content_id,
            inline=attachment.inline,
        )
        for attachment in mail.attachments
    )
