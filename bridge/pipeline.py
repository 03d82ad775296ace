"""The runner of the inbound pipeline: takes pending spool items in batches and runs the steps
(`bridge/steps/`: parse → classify → clean → dedupe → route → store → react) on each, as Mailman's runners
run its handlers. The steps know nothing of what follows here.

Everything about one spool item commits in one transaction together with "item done", each item in a
savepoint of its own. A failure that may pass (a DNS timeout, a full disk, a database that went away)
defers the item: it stays pending with a due time and the reason, and is tried again with backoff until
RETRY_FOR has passed; any other failure quarantines it with its reason. Pending items are taken in the
order the spool acknowledged them (their id order).
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, or_, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bridge import notifications
from bridge.context import Context
from bridge.db import begin_batch, transaction
from bridge.inbound_store import is_imported
from bridge.routing import Rejected
from bridge.steps.classify import classify_mail
from bridge.steps.clean import clean
from bridge.steps.dedupe import dedupe
from bridge.steps.item import Deferred, Item, Quarantined, Step
from bridge.steps.parse import parse
from bridge.steps.react import react
from bridge.steps.route import route_mail
from bridge.steps.store import store
from chatcore.mail_reasons import MailCode, MailReason, mail_reason
from chatcore.models import SpoolItem, SpoolStatus, UTCDateTime

log = logging.getLogger(__name__)
BATCH = 20  # spool items claimed and committed together
RETRY_FOR = timedelta(hours=24)  # a mail that keeps failing for a temporary reason is quarantined after
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)  # the backoff doubles up to this


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
            _defer_alone(context, taken[0], _temporary(exc))
        elif taken:
            quarantine(context, taken[0], _unexpected(exc))
    return taken


def _process_row(session: Session, context: Context, row: SpoolItem) -> None:
    spool_id = row.id or 0
    try:
        with session.begin_nested():
            _run_steps(session, context, row)
    except Quarantined as exc:
        session.expire_all()  # rows read before may hold values the savepoint took back
        _quarantine_row(session, context, row, Why(exc.detail, exc.step), exc.tell)
    except Deferred as exc:
        session.expire_all()
        _defer_row(session, context, row, Why(exc.detail, exc.step))
    except Exception as exc:
        session.expire_all()
        if is_temporary(exc):
            log.warning("spool item %s failed for now: %s", spool_id, exc)
            _defer_row(session, context, row, _temporary(exc))
        else:  # a poison mail is set aside; the worker goes on
            log.exception("spool item %s failed", spool_id)
            _quarantine_row(session, context, row, _unexpected(exc))


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


@dataclass(frozen=True)
class Why:
    """Why an item is deferred or set aside, and the step that said so (None: the pipeline itself)."""

    detail: MailReason
    step: str | None = None

    @property
    def english(self) -> str:
        return f"{self.step}: {self.detail.english}" if self.step else self.detail.english


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def _temporary(exc: Exception) -> Why:
    return Why(mail_reason(MailCode.TEMPORARY, error=_error(exc)))


def _unexpected(exc: Exception) -> Why:
    return Why(mail_reason(MailCode.UNEXPECTED, error=_error(exc)))


def quarantine(context: Context, spool_id: int, why: Why, tell: Rejected | None = None) -> None:
    with transaction(context.engine) as session:
        row = session.get(SpoolItem, spool_id)
        if row is not None:
            _quarantine_row(session, context, row, why, tell)


def _defer_alone(context: Context, spool_id: int, why: Why) -> None:
    try:
        with transaction(context.engine) as session:
            row = session.get(SpoolItem, spool_id)
            if row is not None and row.status == SpoolStatus.PENDING:
                _defer_row(session, context, row, why)
    except Exception as exc:
        if not is_temporary(exc):
            raise
        # the database is still away: the item simply stays pending
        log.exception("spool item %s stays pending", spool_id)


def _defer_row(session: Session, context: Context, row: SpoolItem, why: Why) -> None:
    """Keep the item pending, due again after a backoff; quarantine it once RETRY_FOR has passed."""
    now = context.clock.now()
    since = row.deferred_since or now
    if now - since >= RETRY_FOR:
        hours = f"{(now - since).total_seconds() / 3600:.0f}"
        still = mail_reason(MailCode.STILL_FAILING, reason=why.detail.to_json(), hours=hours)
        _quarantine_row(session, context, row, Why(still, why.step))
        return
    row.attempts += 1
    row.deferred_since = since
    row.next_attempt_at = now + min(FIRST_RETRY * 2 ** (row.attempts - 1), LAST_RETRY)
    row.reason = f"deferred: {why.english}"[:2000]
    row.reason_detail = why.detail.to_json()
    session.add(row)
    log.warning("spool item %s deferred until %s: %s", row.id, row.next_attempt_at, why.english)


def _quarantine_row(
    session: Session, context: Context, row: SpoolItem, why: Why, tell: Rejected | None = None
) -> None:
    # a retry tells nobody again, and imported history tells nobody at all
    may_tell = row.processed_at is None and not is_imported(row.source_key)
    row.status = SpoolStatus.QUARANTINED
    row.reason = why.english[:2000]
    row.reason_detail = why.detail.to_json()
    row.deferred_since = row.next_attempt_at = None  # a retry starts a fresh deadline
    row.processed_at = context.clock.now()
    session.add(row)
    if may_tell and tell is not None and tell.notify_operator_id and tell.conversation_id:
        notifications.tell_operator_of_refusal(
            session, context, tell.notify_operator_id, tell.conversation_id, tell.detail
        )
    log.warning("spool item %s quarantined: %s", row.id, why.english)
