"""The inbound pipeline: parse → classify → clean → dedupe → route → store → react.

Each step takes and returns one frozen `Item`. Everything about one spool item commits in one
transaction together with "item done". A failure that may pass (a DNS timeout, a full disk, a database
that went away) defers the item: it stays pending with a due time and the reason, and is tried again
with backoff until RETRY_FOR has passed; any other failure quarantines it with its reason. Pending
items are taken in the order the spool acknowledged them (their id order).
"""

from __future__ import annotations

import errno
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bridge import notifications
from bridge.blobs import BlobStore
from bridge.bounces import record_bounce, sender_wrote_again
from bridge.context import Context
from bridge.db import begin_batch, transaction
from bridge.inbound_store import is_imported
from bridge.mailer import remember_message_id
from bridge.operator_mail import apply_operator_reply, dkim_for_commands
from bridge.routing import OperatorProof, Rejected, Route, RouteKind, TryLater, route
from bridge.thread_join import join_into, remember_references
from chatcore import events as ev
from chatcore.files import NewAttachment
from chatcore.identity import verified_contact
from chatcore.models import (
    Contact,
    Conversation,
    Message,
    Operator,
    Source,
    SpoolItem,
    SpoolStatus,
    UTCDateTime,
)
from chatcore.services import Desk, NewMessage
from chatcore.sizes import MAX_STORED_HTML, MAX_STORED_TEXT, shortened
from inbound.classify import Classification, MailKind, classify
from inbound.clean import CleanedReply, clean_reply
from inbound.limits import MailRejected, ParseLimits
from inbound.parse import ParsedMail, parse_mail

log = logging.getLogger(__name__)
BATCH = 20  # spool items claimed and committed together
RETRY_FOR = timedelta(hours=24)  # a mail that keeps failing for a temporary reason is quarantined after
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)  # the backoff doubles up to this


@dataclass(frozen=True)
class Item:
    spool_id: int
    raw: bytes
    envelope_from: str | None
    envelope_to: tuple[str, ...]
    mail: ParsedMail | None = None
    classification: Classification | None = None
    cleaned: CleanedReply | None = None
    content_sha256: str = ""
    duplicate: bool = False
    route: Route | None = None
    message_id: int | None = None
    events: tuple[ev.Event, ...] = ()
    outcome: str = ""
    quiet: bool = False  # imported history: stored, but nobody is notified, answered or mailed


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[Item, Session, Context], Item]


class Deferred(Exception):
    """The item is tried again later: the reason may pass."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


class Quarantined(Exception):
    def __init__(self, step: str, reason: str, tell: Rejected | None = None) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason
        self.tell = tell  # when set, the operator whose address was used hears of it


def parse(item: Item, session: Session, context: Context) -> Item:
    try:
        limits = ParseLimits(max_size=context.settings.inbound.smtp.max_message_size)
        return replace(item, mail=parse_mail(item.raw, limits))
    except MailRejected as exc:
        raise Quarantined("parse", exc.reason) from exc


def classify_mail(item: Item, session: Session, context: Context) -> Item:
    mail = _mail(item)
    verdict = classify(
        mail, item.envelope_from, own_addresses=context.own_addresses, own_origin=context.origin
    )
    return replace(item, classification=verdict)


def clean(item: Item, session: Session, context: Context) -> Item:
    mail = _mail(item)
    return replace(item, cleaned=clean_reply(mail.text, mail.html))


def dedupe(item: Item, session: Session, context: Context) -> Item:
    """The same mail by SMTP retry, IMAP re-fetch or both paths is stored once."""
    mail = _mail(item)
    digest = _content_digest(mail)
    connection = session.connection()  # nothing of this mail is pending yet, so no flush is needed
    if mail.message_id:
        found = connection.execute(_SEEN_WITH_ID, {"digest": digest, "message_id": mail.message_id})
    else:
        found = connection.execute(_SEEN, {"digest": digest})
    return replace(item, content_sha256=digest, duplicate=found.first() is not None)


# Built once: building a statement costs more than running it.
_SEEN = select(Message.id).where(col(Message.content_sha256) == bindparam("digest")).limit(1)
_SEEN_WITH_ID = (
    select(Message.id)
    .where(col(Message.content_sha256) == bindparam("digest"))
    .where(col(Message.email_message_id) == bindparam("message_id"))
    .limit(1)
)


def route_mail(item: Item, session: Session, context: Context) -> Item:
    if item.duplicate or _kind(item) is MailKind.LOOP:
        return item
    proof = OperatorProof(
        raw=item.raw,
        require_dkim=context.settings.mail.require_dkim_for_operators,
        dnsfunc=context.dkim_dns,
        now=context.clock.now(),
        max_age=None if item.quiet else context.settings.mail.operator_reply_max_age,
    )
    try:
        found = route(
            session, context.codec, context.settings.mail.address, _mail(item), list(item.envelope_to), proof
        )
    except Rejected as exc:
        raise Quarantined("route", exc.reason, tell=exc) from exc
    except TryLater as exc:
        raise Deferred("route", exc.reason) from exc
    return replace(item, route=found)


def store(item: Item, session: Session, context: Context) -> Item:
    if item.duplicate:
        return replace(item, outcome="duplicate")
    if _kind(item) is MailKind.LOOP:
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
    if found.kind is not RouteKind.OPERATOR_REPLY and _kind(item) is MailKind.HUMAN and not item.quiet:
        sender_wrote_again(session, _mail(item).from_address)


def react(item: Item, session: Session, context: Context) -> Item:
    if not item.quiet:
        notifications.react(session, context, list(item.events))
    return item


STEPS: tuple[Step, ...] = (
    Step("parse", parse),
    Step("classify", classify_mail),
    Step("clean", clean),
    Step("dedupe", dedupe),
    Step("route", route_mail),
    Step("store", store),
    Step("react", react),
)


def process_pending(context: Context, limit: int = 20) -> int:
    """Process up to `limit` pending spool items, oldest first; returns how many were taken."""
    taken = 0
    while taken < limit:
        size = min(BATCH, limit - taken)
        batch = _process(context, lambda session: _lock_pending(session, context, size))  # noqa: B023
        if not batch:
            break
        taken += len(batch)
    return taken


def process_one(context: Context, spool_id: int) -> None:
    """Process one pending item now, in a transaction of its own (used by `quarantine retry`)."""
    _process(context, lambda session: _lock_pending(session, context, 1, spool_id))


def _lock_pending(
    session: Session, context: Context, limit: int, spool_id: int | None = None
) -> list[SpoolItem]:
    if spool_id is None:
        params = {"pending": SpoolStatus.PENDING, "now": context.clock.now(), "limit": limit}
        return list(session.exec(_DUE_IN_ORDER, params=params))
    query = select(SpoolItem).where(SpoolItem.id == spool_id, SpoolItem.status == SpoolStatus.PENDING)
    return list(session.exec(query.with_for_update(skip_locked=True)))


# Acknowledged order is id order (the worker stores the spool's records in the order it wrote them);
# received_at is a wall clock, which can step back or tie, so it does not order the queue.
_DUE_IN_ORDER = (
    select(SpoolItem)
    .where(col(SpoolItem.status) == bindparam("pending"))
    .where(
        or_(
            col(SpoolItem.next_attempt_at).is_(None),
            col(SpoolItem.next_attempt_at) <= bindparam("now", type_=UTCDateTime()),
        )
    )
    .order_by(col(SpoolItem.id))
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)


def _process(context: Context, pick: Callable[[Session], list[SpoolItem]]) -> list[int]:
    """Lock pending items and process them in the transaction that marks them done, each in a savepoint
    of its own: a mail that fails is quarantined alone, and a worker killed midway leaves every item
    pending and unlocked, ready for the next worker at once. Returns the ids taken."""
    taken: list[int] = []
    try:
        with transaction(context.engine) as session:
            begin_batch(session)
            rows = pick(session)
            taken = [row.id or 0 for row in rows]
            for row in rows:
                _process_row(session, context, row)
    except Exception as exc:  # the batch as a whole failed (e.g. at commit): nothing of it was stored
        log.exception("spool items %s failed", taken or "?")
        if len(taken) > 1:
            for spool_id in taken:
                process_one(context, spool_id)
        elif taken and is_temporary(exc):
            _defer_alone(context, taken[0], f"{type(exc).__name__}: {exc}")
        elif taken:
            quarantine(context, taken[0], f"unexpected {type(exc).__name__}: {exc}")
    return taken


def _process_row(session: Session, context: Context, row: SpoolItem) -> None:
    spool_id = row.id or 0
    try:
        with session.begin_nested():
            _run_steps(session, context, row)
    except Quarantined as exc:
        session.expire_all()  # rows read before may hold values the savepoint took back
        _quarantine_row(session, context, row, f"{exc.step}: {exc.reason}", exc.tell)
    except Deferred as exc:
        session.expire_all()
        _defer_row(session, context, row, f"{exc.step}: {exc.reason}")
    except Exception as exc:
        session.expire_all()
        if is_temporary(exc):
            log.warning("spool item %s failed for now: %s", spool_id, exc)
            _defer_row(session, context, row, f"{type(exc).__name__}: {exc}")
        else:  # a poison mail is set aside; the worker goes on
            log.exception("spool item %s failed", spool_id)
            _quarantine_row(session, context, row, f"unexpected {type(exc).__name__}: {exc}")


# Failures that may pass by themselves: the database went away or is locked, a disk is full or failing.
_TEMPORARY_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EAGAIN, errno.ENOMEM, errno.ETIMEDOUT}
)


def is_temporary(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | TimeoutError):
        return True
    return isinstance(exc, OSError) and exc.errno in _TEMPORARY_ERRNOS


def _run_steps(session: Session, context: Context, row: SpoolItem) -> None:
    item = Item(
        row.id or 0, row.raw, row.envelope_from, tuple(row.envelope_to), quiet=is_imported(row.source_key)
    )
    for step in STEPS:
        item = step.run(item, session, context)
    status = SpoolStatus.DUPLICATE if item.duplicate else SpoolStatus.DONE
    session.connection().execute(
        _MARK_PROCESSED, {"key": row.id, "status": status, "reason": item.outcome, "at": context.clock.now()}
    )
    if row.deferred_since is not None:
        row.deferred_since = row.next_attempt_at = None
        session.add(row)


_MARK_PROCESSED = (
    update(SpoolItem)
    .where(col(SpoolItem.id) == bindparam("key"))
    .values(status=bindparam("status"), reason=bindparam("reason"), processed_at=bindparam("at"))
)


def quarantine(context: Context, spool_id: int, reason: str, tell: Rejected | None = None) -> None:
    with transaction(context.engine) as session:
        row = session.get(SpoolItem, spool_id)
        if row is not None:
            _quarantine_row(session, context, row, reason, tell)


def _defer_alone(context: Context, spool_id: int, reason: str) -> None:
    try:
        with transaction(context.engine) as session:
            row = session.get(SpoolItem, spool_id)
            if row is not None and row.status == SpoolStatus.PENDING:
                _defer_row(session, context, row, reason)
    except Exception as exc:
        if not is_temporary(exc):
            raise
        # the database is still away: the item simply stays pending
        log.exception("spool item %s stays pending", spool_id)


def _defer_row(session: Session, context: Context, row: SpoolItem, reason: str) -> None:
    """Keep the item pending, due again after a backoff; quarantine it once RETRY_FOR has passed."""
    now = context.clock.now()
    since = row.deferred_since or now
    if now - since >= RETRY_FOR:
        _quarantine_row(session, context, row, f"{reason} (still failing after {_hours(now - since)})")
        return
    row.attempts += 1
    row.deferred_since = since
    row.next_attempt_at = now + min(FIRST_RETRY * 2 ** (row.attempts - 1), LAST_RETRY)
    row.reason = f"deferred: {reason}"[:2000]
    session.add(row)
    log.warning("spool item %s deferred until %s: %s", row.id, row.next_attempt_at, reason)


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:.0f} h"


def _quarantine_row(
    session: Session, context: Context, row: SpoolItem, reason: str, tell: Rejected | None = None
) -> None:
    # a retry tells nobody again, and imported history tells nobody at all
    may_tell = row.processed_at is None and not is_imported(row.source_key)
    row.status = SpoolStatus.QUARANTINED
    row.reason = reason[:2000]
    row.deferred_since = row.next_attempt_at = None  # a retry starts a fresh deadline
    row.processed_at = context.clock.now()
    session.add(row)
    if may_tell and tell is not None and tell.notify_operator_id and tell.conversation_id:
        notifications.tell_operator_of_refusal(
            session, context, tell.notify_operator_id, tell.conversation_id, tell.reason
        )
    log.warning("spool item %s quarantined: %s", row.id, reason)


def _truncated_marker(context: Context) -> str:
    translations = context.catalogs.get(context.settings.site.language)
    return translations.gettext("[Message truncated: the rest is in the original mail.]")


def _store_message(item: Item, session: Session, context: Context, found: Route) -> Item:
    mail = _mail(item)
    desk = Desk(session, _written_at(item, context))
    text = (item.cleaned.text if item.cleaned else mail.text).strip()
    text = text or ("" if mail.attachments else mail.subject.strip())
    if not (text or mail.html or mail.attachments):
        raise Quarantined("store", "the mail has no text, subject or attachment to show")
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
            "classification": _kind(item).value,
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
    written = _mail(item).date
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


def _content_digest(mail: ParsedMail) -> str:
    parts = [
        mail.message_id or "",
        mail.from_address,
        mail.subject,
        mail.date.isoformat() if mail.date else "",
        mail.text,
        *(a.sha256 for a in mail.attachments),
    ]
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _mail(item: Item) -> ParsedMail:
    assert item.mail is not None, "parse runs first"
    return item.mail


def _kind(item: Item) -> MailKind:
    return item.classification.kind if item.classification else MailKind.HUMAN
