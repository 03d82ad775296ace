"""What the desk shows beside a dialog: the tag names in use, the operators one can assign, and every
dialog of one person. Pure reads on the caller's session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from chatcore.models import Conversation, Operator, Tag


@dataclass(frozen=True)
class DialogSummary:
    id: int
    subject: str
    status: str
    channel: str
    message_count: int
    created_at: datetime
    updated_at: datetime


def tag_names(session: Session, limit: int = 500) -> list[str]:
    return list(session.exec(select(Tag.name).order_by(col(Tag.name)).limit(limit)))


def assignable_operators(session: Session) -> list[Operator]:
    query = (
        select(Operator)
        .where(col(Operator.active).is_(True))
        .order_by(col(Operator.name), col(Operator.email))
    )
    return list(session.exec(query))


def dialogs_of_contact(session: Session, contact_id: int, limit: int = 200) -> list[DialogSummary]:
    """The person's dialogs, newest first."""
    query = (
        select(Conversation)
        .where(Conversation.contact_id == contact_id)
        .order_by(col(Conversation.id).desc())
        .limit(limit)
    )
    return [
        DialogSummary(
            id=row.id or 0,
            subject=row.subject,
            status=row.status,
            channel=row.channel,
            message_count=row.message_count,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in session.exec(query)
    ]
