"""Step 4: a mail already stored (an SMTP retry, an IMAP re-fetch, both paths) is marked a duplicate."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bridge.context import Context
from bridge.steps.item import Item, mail_of
from chatcore.models import Message
from inbound.parse import ParsedMail


def dedupe(item: Item, session: Session, context: Context) -> Item:
    """The same mail by SMTP retry, IMAP re-fetch or both paths is stored once."""
    mail = mail_of(item)
    digest = content_digest(mail)
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


def content_digest(mail: ParsedMail) -> str:
    parts = [
        mail.message_id or "",
        mail.from_address,
        mail.subject,
        mail.date.isoformat() if mail.date else "",
        mail.text,
        *(a.sha256 for a in mail.attachments),
    ]
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
