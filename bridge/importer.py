"""`relaydesk import`: old mail from .eml files, mbox files and Maildir folders into conversations.

Each mail is stored under `import:<sha256 of its bytes>`, so importing the same mail again adds
nothing, then run through the inbound pipeline like any mail that arrived by SMTP or IMAP. Mails
are stored oldest first (by their Date header), so an original is routed before its replies.
"""

from __future__ import annotations

import hashlib
import mailbox
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path

from sqlmodel import col, func, select

from bridge.context import Context
from bridge.db import transaction
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from chatcore.models import SpoolItem, SpoolStatus

SOURCE_PREFIX = "import:"
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_UNDATED = datetime.max.replace(tzinfo=UTC)

Progress = Callable[[int, int], None]


class MailKind(StrEnum):
    EML = "eml"
    MBOX = "mbox"
    MAILDIR = "maildir"


class NotMail(Exception):
    """A path that is not an .eml file, an mbox file or a Maildir folder."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: not an .eml file, mbox or Maildir")
        self.path = path


@dataclass(frozen=True)
class MailSource:
    path: Path
    kind: MailKind


@dataclass(frozen=True)
class ImportResult:
    imported: int
    already_there: int
    quarantined: int

    def summary(self) -> str:
        return f"imported {self.imported}, already there {self.already_there}, quarantined {self.quarantined}"


def recognise(paths: Sequence[Path]) -> list[MailSource]:
    """What kind of mail each path holds; raises NotMail for the first path that holds none."""
    return [MailSource(path, _kind_of(path)) for path in paths]


def import_mail(
    context: Context, sources: Sequence[MailSource], progress: Progress | None = None
) -> ImportResult:
    """Store every mail of `sources` once, process everything pending, and count the outcome."""
    mails = sorted(_read_all(sources), key=_date_of)
    stored: list[str] = []
    for done, raw in enumerate(mails, start=1):
        key = SOURCE_PREFIX + hashlib.sha256(raw).hexdigest()
        if store_raw(context, key, raw, None, []):
            stored.append(key)
        if progress is not None:
            progress(done, len(mails))
    while process_pending(context) > 0:
        pass
    return ImportResult(len(stored), len(mails) - len(stored), _count_quarantined(context, stored))


def _kind_of(path: Path) -> MailKind:
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            return MailKind.MAILDIR
        raise NotMail(path)
    if not path.is_file():
        raise NotMail(path)
    with path.open("rb") as handle:
        head = handle.read(1024).lstrip(b"\r\n")
    if head.startswith(b"From "):
        return MailKind.MBOX
    if _HEADER_LINE.match(head):
        return MailKind.EML
    raise NotMail(path)


def _read_all(sources: Sequence[MailSource]) -> Iterator[bytes]:
    for source in sources:
        if source.kind is MailKind.EML:
            yield source.path.read_bytes()
        elif source.kind is MailKind.MBOX:
            yield from _messages(mailbox.mbox(source.path, create=False))
        else:
            yield from _messages(mailbox.Maildir(source.path, create=False))


def _messages(box: mailbox.Mailbox[mailbox.Message]) -> Iterator[bytes]:
    try:
        for key in sorted(box.keys()):
            yield box.get_bytes(key)
    finally:
        box.close()


def _date_of(raw: bytes) -> datetime:
    value = BytesHeaderParser().parsebytes(raw).get("Date")
    if value is None:
        return _UNDATED
    try:
        date = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return _UNDATED
    return date if date.tzinfo else date.replace(tzinfo=UTC)


def _count_quarantined(context: Context, keys: list[str]) -> int:
    if not keys:
        return 0
    total = 0
    with transaction(context.engine) as session:
        for start in range(0, len(keys), 500):
            query = select(func.count()).where(
                col(SpoolItem.source_key).in_(keys[start : start + 500]),
                SpoolItem.status == SpoolStatus.QUARANTINED,
            )
            total += session.exec(query).one()
    return total
