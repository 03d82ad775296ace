"""Inbound mail into SpoolItem rows: from the SMTP file spool and from the IMAP fetcher."""

from __future__ import annotations

import hashlib
import logging

from sqlmodel import select

from bridge.context import Context
from bridge.db import insert_new_statements, transaction
from chatcore.models import ImapCursor, SpoolItem, SpoolStatus
from inbound.imap_fetch import Cursor
from inbound.spool import SpooledMail, SpoolReader

log = logging.getLogger(__name__)
IMPORT_PREFIX = "import:"  # the source key of imported history, which the pipeline handles quietly


def is_imported(source_key: str) -> bool:
    return source_key.startswith(IMPORT_PREFIX)


def store_raw(
    context: Context, source_key: str, raw: bytes, envelope_from: str | None, envelope_to: list[str]
) -> bool:
    """Commit one raw mail under its source key; False when that key was stored before (also when
    another process stored it at the same moment: the unique key decides, without a read first)."""
    values = {
        "source_key": source_key,
        "raw": raw,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "envelope_from": envelope_from,
        "envelope_to": envelope_to,
        "status": SpoolStatus.PENDING,
        "reason": "",
        "attempts": 0,
        "received_at": context.clock.now(),
    }
    with context.engine.begin() as connection:
        return connection.execute(_INSERT_NEW[connection.dialect.name], values).first() is not None


_INSERT_NEW = insert_new_statements(SpoolItem, "source_key")


def drain_file_spool(context: Context, spool: SpoolReader) -> int:
    """Move complete mails from the SMTP spool into the database; the spool then drops them."""

    def store(mail: SpooledMail) -> None:
        store_raw(context, f"smtp:{mail.key}", mail.raw, mail.envelope_from, list(mail.envelope_to))

    return spool.drain(store)


class DatabaseSpoolSink:
    """The IMAP fetcher's sink: a mail is committed before the fetcher moves it on the server."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def put(self, source_key: str, raw: bytes) -> None:
        store_raw(self.context, source_key, raw, None, [])


class DatabaseCursorStore:
    def __init__(self, context: Context) -> None:
        self.context = context

    def load(self, account: str, folder: str) -> Cursor | None:
        with transaction(self.context.engine) as session:
            row = session.exec(
                select(ImapCursor).where(ImapCursor.account == account, ImapCursor.folder == folder)
            ).first()
            return Cursor(row.uidvalidity, row.last_uid) if row else None

    def save(self, account: str, folder: str, cursor: Cursor) -> None:
        with transaction(self.context.engine) as session:
            row = session.exec(
                select(ImapCursor).where(ImapCursor.account == account, ImapCursor.folder == folder)
            ).first()
            row = row or ImapCursor(account=account, folder=folder, uidvalidity=0, last_uid=0)
            row.uidvalidity, row.last_uid = cursor.uidvalidity, cursor.last_uid
            session.add(row)
