"""Saved replies an operator inserts into the composer: listed, searched by title or text, and added."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from chatcore.errors import DomainError
from chatcore.models import SavedReply

MAX_TITLE = 100
MAX_TEXT = 10_000


class SavedReplyError(DomainError):
    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code


@dataclass(frozen=True)
class SavedReplyView:
    id: int
    title: str
    text: str
    shared: bool


def saved_replies_for(
    session: Session, operator_id: int, q: str | None = None, limit: int = 200
) -> list[SavedReplyView]:
    query = select(SavedReply).order_by(col(SavedReply.title)).limit(limit)
    if q and q.strip():
        pattern = f"%{q.strip().lower()}%"
        query = query.where(or_(col(SavedReply.title).ilike(pattern), col(SavedReply.text).ilike(pattern)))
    return [_view(row) for row in session.exec(query)]


def add_saved_reply(
    session: Session, operator_id: int, title: str, text: str, shared: bool
) -> SavedReplyView:
    clean_title = " ".join(title.split())
    clean_text = text.replace("\r\n", "\n").strip()
    if not clean_title:
        raise SavedReplyError("title", "empty", "a saved reply needs a title")
    if len(clean_title) > MAX_TITLE:
        raise SavedReplyError("title", "too_long", f"the title is longer than {MAX_TITLE} characters")
    if not clean_text:
        raise SavedReplyError("text", "empty", "a saved reply needs some text")
    if len(clean_text) > MAX_TEXT:
        raise SavedReplyError("text", "too_long", f"the text is longer than {MAX_TEXT} characters")
    row = SavedReply(title=clean_title, text=clean_text)
    session.add(row)
    session.flush()
    return _view(row)


def _view(row: SavedReply) -> SavedReplyView:
    return SavedReplyView(id=row.id or 0, title=row.title, text=row.text, shared=True)
