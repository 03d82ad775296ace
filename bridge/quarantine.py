"""Quarantined mail: list it, show why, and retry it once the cause is fixed."""

from __future__ import annotations

import logging

import mailparser
from sqlmodel import col, select

from bridge.context import Context
from bridge.db import read_session, transaction
from bridge.pipeline import process_one
from chatcore.mail_review import QuarantinedMail, quarantined_one, summary
from chatcore.models import SpoolItem, SpoolStatus


def list_quarantined(context: Context) -> list[QuarantinedMail]:
    with read_session(context.engine) as session:
        rows = session.exec(
            select(SpoolItem).where(SpoolItem.status == SpoolStatus.QUARANTINED).order_by(col(SpoolItem.id))
        ).all()
        return [summary(row) for row in rows]


def get_quarantined(context: Context, spool_id: int) -> tuple[QuarantinedMail, bytes] | None:
    with read_session(context.engine) as session:
        row = quarantined_one(session, spool_id)
        return (summary(row), row.raw) if row is not None else None


def retry(context: Context, spool_id: int) -> SpoolItem | None:
    """Run the mail through the pipeline again now; returns the row as it ended, None if not quarantined."""
    with transaction(context.engine) as session:
        row = quarantined_one(session, spool_id)
        if row is None:
            return None
        row.status, row.reason, row.reason_detail = SpoolStatus.PENDING, "", None
        session.add(row)
    process_one(context, spool_id)
    with read_session(context.engine) as session:
        return session.get(SpoolItem, spool_id)


def mime_defects(raw: bytes) -> list[str]:
    """mail-parser's reading of what is wrong with the MIME structure, part by part, for `show`."""
    logging.getLogger("mailparser").setLevel(logging.ERROR)
    try:
        parsed = mailparser.parse_from_bytes(raw)
    except Exception as exc:  # a diagnostic must not fail on the mail it diagnoses
        return [f"mail-parser could not read it: {type(exc).__name__}: {exc}"]
    by_part = [item for entry in parsed.defects for item in entry.items()]
    return [f"{part}: {defect}" for part, defects in by_part for defect in defects]
