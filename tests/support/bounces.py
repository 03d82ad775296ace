"""Mail through the spool and the pipeline as SMTP delivers it, and a real DSN bounce for an outbox row."""

from __future__ import annotations

from email.utils import make_msgid
from pathlib import Path

from sqlmodel import Session, col, select

from bridge.context import Context
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from chatcore.models import OutboxMail, SpoolItem

DSN = (Path(__file__).resolve().parents[1] / "data" / "mail" / "postfix-dsn-bounce.eml").read_bytes()


def arrives(
    context: Context, raw: bytes, envelope_to: tuple[str, ...] = (), sender: str | None = None
) -> str:
    """Stores and processes one mail; returns the spool item's outcome (it must not be quarantined)."""
    key = f"smtp:{make_msgid()}"
    assert store_raw(context, key, raw, sender, list(envelope_to))
    process_pending(context)
    with Session(context.engine) as session:
        row = session.exec(select(SpoolItem).where(SpoolItem.source_key == key)).one()
        assert row.status == "done", row.reason
        return row.reason


def bounce_for(row: OutboxMail, status: str = "5.1.1") -> bytes:
    """The Postfix DSN fixture (tests/data/mail/postfix-dsn-bounce.eml), about this outbox row's mail."""
    return (
        DSN.replace(b"support+b.k3j4h5g6@example.com", row.envelope_from.encode())
        .replace(b"Nobody@customer.example", row.recipient.encode())
        .replace(b"nobody@customer.example", row.recipient.encode())
        .replace(b"Status: 5.1.1", f"Status: {status}".encode())
    )


def bounce_back(context: Context, row: OutboxMail, raw: bytes | None = None) -> str:
    """A mail comes back to the row's VERP address with a null sender, as an MTA's bounce does."""
    return arrives(context, raw or bounce_for(row), envelope_to=(row.envelope_from,), sender="")


def last_outbox_to(context: Context, address: str) -> OutboxMail:
    with Session(context.engine) as session:
        query = select(OutboxMail).where(OutboxMail.recipient == address).order_by(col(OutboxMail.id).desc())
        row = session.exec(query).first()
        assert row is not None, f"no mail to {address} in the outbox"
        return row
