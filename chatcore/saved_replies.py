"""Saved replies: who sees and who edits which, and what a title and a text may be.

A shared reply is seen by every operator and edited by admins and its author; a personal one is
seen and edited by its owner alone (to everyone else it does not exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from chatcore.errors import FieldError, Forbidden, NotFound
from chatcore.models import Operator, SavedReply

TITLE_MAX = 100
TEXT_MAX = 10_000
ADMIN = "admin"


@dataclass(frozen=True)
class ReplyDraft:
    title: str
    text: str
    shared: bool = True


@dataclass(frozen=True)
class ReplyChanges:
    """None: leave as it is."""

    title: str | None = None
    text: str | None = None
    shared: bool | None = None


def visible_to(operator: Operator) -> ColumnElement[bool]:
    return or_(col(SavedReply.shared).is_(True), col(SavedReply.owner_id) == operator.id)


def may_edit(reply: SavedReply, operator: Operator) -> bool:
    if reply.owner_id == operator.id:
        return True
    return reply.shared and operator.role == ADMIN


def visible_reply(session: Session, operator: Operator, reply_id: int) -> SavedReply:
    reply = session.get(SavedReply, reply_id)
    if reply is None or not (reply.shared or reply.owner_id == operator.id):
        raise NotFound(f"saved reply {reply_id} does not exist")
    return reply


def editable_reply(session: Session, operator: Operator, reply_id: int) -> SavedReply:
    reply = visible_reply(session, operator, reply_id)
    if not may_edit(reply, operator):
        raise Forbidden("a shared reply is edited by its author and by admins")
    return reply


def search(
    session: Session, operator: Operator, text: str | None = None, limit: int = 200
) -> list[SavedReply]:
    """The replies `operator` sees, by title; `text` narrows to those whose title or text contains it
    in any case. Compared in Python: SQLite's lower() knows ASCII only, and a desk has a few hundred
    replies, not millions."""
    query = select(SavedReply).where(visible_to(operator))
    replies = session.exec(query)
    wanted = (text or "").strip().casefold()
    found = [reply for reply in replies if not wanted or _contains(reply, wanted)]
    return sorted(found, key=lambda reply: (reply.title.casefold(), reply.id or 0))[:limit]


def _contains(reply: SavedReply, wanted: str) -> bool:
    return wanted in reply.title.casefold() or wanted in reply.text.casefold()


def checked_title(title: str) -> str:
    clean = " ".join(title.split())
    if not clean:
        raise FieldError("title", "a saved reply needs a title")
    if len(clean) > TITLE_MAX:
        raise FieldError("title", f"a title has at most {TITLE_MAX} characters")
    return clean


def checked_text(text: str) -> str:
    clean = text.strip()
    if not clean:
        raise FieldError("text", "a saved reply needs some text")
    if len(clean) > TEXT_MAX:
        raise FieldError("text", f"a saved reply has at most {TEXT_MAX} characters")
    return clean


def checked_changes(reply: SavedReply, operator: Operator, changes: ReplyChanges) -> dict[str, Any]:
    """The new column values; only the author turns a reply shared or personal."""
    values: dict[str, Any] = {}
    if changes.title is not None:
        values["title"] = checked_title(changes.title)
    if changes.text is not None:
        values["text"] = checked_text(changes.text)
    if changes.shared is not None and changes.shared != reply.shared:
        if reply.owner_id != operator.id:
            raise FieldError("shared", "only the author makes a reply shared or personal")
        values["shared"] = changes.shared
    return values

