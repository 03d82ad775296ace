"""Tags as a whole: their names, counts and colours; renaming, merging and deleting them.

Tagging one conversation is chatcore.services.Desk.tag; this module changes the tags themselves.
Names are lower case, letters, digits, "-", "_" and "." (the desk's filter and chips rely on it).
A colour is a name from PALETTE (the pages map each to their own shades); None is the default grey.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from chatcore.errors import Conflict, FieldError, NotFound
from chatcore.models import ConversationTag, Tag

PALETTE = ("grey", "red", "orange", "yellow", "green", "teal", "blue", "purple")
_NAME = re.compile(r"^[\w][\w\-.]{0,62}$", re.UNICODE)


@dataclass(frozen=True)
class TagCount:
    name: str
    colour: str | None
    conversations: int


def checked_name(raw: str, field: str = "name") -> str:
    clean = raw.strip().lower()
    if not _NAME.match(clean):
        raise FieldError(field, f'"{raw}" is not a tag name (letters, digits, "-", "_", "." only)')
    return clean


def checked_colour(raw: str) -> str | None:
    colour = raw.strip().lower()
    if colour in ("", "grey"):
        return None
    if colour not in PALETTE:
        raise FieldError("colour", f"choose one of: {', '.join(PALETTE)}")
    return colour


def tag_named(session: Session, name: str) -> Tag:
    tag = session.exec(select(Tag).where(Tag.name == name.strip().lower())).first()
    if tag is None:
        raise NotFound(f'there is no tag "{name}"')
    return tag


def counts(session: Session) -> list[TagCount]:
    """Every tag by name, with the number of conversations carrying it (0 for unused tags)."""
    used = (
        select(col(ConversationTag.tag_id), func.count().label("n"))
        .group_by(col(ConversationTag.tag_id))
        .subquery()
    )
    rows = session.exec(
        select(Tag.name, Tag.colour, func.coalesce(used.c.n, 0))
        .outerjoin(used, used.c.tag_id == col(Tag.id))
        .order_by(col(Tag.name))
    ).all()
    return [TagCount(name, colour, int(n)) for name, colour, n in rows]


def colours(session: Session) -> dict[str, str]:
    """The tags that have a colour, name → colour; for chips in the desk."""
    rows = session.exec(select(Tag.name, Tag.colour).where(col(Tag.colour).is_not(None))).all()
    return {name: colour for name, colour in rows if colour}


def change(session: Session, name: str, new_name: str | None = None, colour: str | None = None) -> Tag:
    """Rename and/or recolour a tag (None: leave as it is). Renaming onto a tag that exists is
    refused: that is a merge. The caller commits."""
    tag = tag_named(session, name)
    if new_name is not None:
        clean = checked_name(new_name)
        if clean != tag.name and session.exec(select(Tag).where(Tag.name == clean)).first():
            raise Conflict("name", f'a tag "{clean}" exists already: merge the two instead')
        tag.name = clean
    if colour is not None:
        tag.colour = checked_colour(colour)
    session.add(tag)
    session.flush()
    return tag


def merge(session: Session, name: str, into: str) -> Tag:
    """Every conversation tagged `name` is tagged `into` instead (once), and `name` is gone."""
    source = tag_named(session, name)
    target = tag_named(session, checked_name(into, "into"))
    if source.id == target.id:
        raise FieldError("into", "choose another tag to merge into")
    already = select(ConversationTag.conversation_id).where(ConversationTag.tag_id == target.id)
    moving = session.exec(
        select(ConversationTag.conversation_id).where(
            ConversationTag.tag_id == source.id, col(ConversationTag.conversation_id).not_in(already)
        )
    ).all()
    for conversation_id in moving:
        session.add(ConversationTag(conversation_id=conversation_id, tag_id=target.id or 0))
    _drop(session, source)
    session.flush()
    return target


def remove(session: Session, name: str) -> int:
    """Delete a tag from every conversation and the tag itself; how many conversations carried it."""
    tag = tag_named(session, name)
    carried = len(session.exec(select(ConversationTag).where(ConversationTag.tag_id == tag.id)).all())
    _drop(session, tag)
    session.flush()
    return carried


def _drop(session: Session, tag: Tag) -> None:
    session.execute(delete(ConversationTag).where(col(ConversationTag.tag_id) == tag.id))
    session.delete(tag)
