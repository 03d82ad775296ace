"""Files that travel with a message: what a new one carries, and the rows of the stored ones.

The bytes live elsewhere (the caller's blob store, by SHA-256); chatcore only records them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from chatcore.models import Attachment

MAX_FILENAME = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


@dataclass(frozen=True)
class NewAttachment:
    """A file already stored by its content hash; the filename is for display only."""

    sha256: str
    filename: str
    content_type: str
    size: int
    content_id: str | None = None
    inline: bool = False


def display_filename(raw: str, fallback: str = "file") -> str:
    """A filename fit to show and to put in a header: no controls, no folders, not too long."""
    name = _CONTROL.sub("", raw).replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", ".."):
        return fallback
    if len(name) <= MAX_FILENAME:
        return name
    stem, dot, suffix = name.rpartition(".")
    if dot and 0 < len(suffix) <= 10:
        return f"{stem[: MAX_FILENAME - len(suffix) - 1]}.{suffix}"
    return name[:MAX_FILENAME]


def normal_content_type(raw: str | None) -> str:
    """`type/subtype` in lower case, or application/octet-stream for anything else."""
    value = (raw or "").split(";", 1)[0].strip().lower()
    return value if _MIME_TYPE.match(value) else "application/octet-stream"


def attachment_row(message_id: int, new: NewAttachment) -> Attachment:
    return Attachment(
        message_id=message_id,
        sha256=new.sha256,
        filename=display_filename(new.filename),
        content_type=normal_content_type(new.content_type),
        size=new.size,
        content_id=new.content_id,
        inline=new.inline,
    )


def attachments_by_message(session: Session, message_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """The files of these messages, in the order they were stored."""
    ids = sorted(set(message_ids))
    if not ids:
        return {}
    found: dict[int, list[Attachment]] = {}
    query = select(Attachment).where(col(Attachment.message_id).in_(ids)).order_by(col(Attachment.id))
    for attachment in session.exec(query):
        found.setdefault(attachment.message_id, []).append(attachment)
    return found


def size_parts(size: int) -> tuple[str, str]:
    """A size as a number and a unit ("B", "KB", "MB") to show; the unit goes through gettext."""
    if size < 1024:
        return str(size), "B"
    value, unit = (size / 1024, "KB") if size < 1024 * 1024 else (size / 1024 / 1024, "MB")
    text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return text.removesuffix(".0"), unit
