"""`relaydesk import`: old mail from .eml files, mbox files and Maildir folders into conversations.

Each mail is stored under `import:<sha256 of its bytes>`, so importing the same mail again adds
nothing, then run through the inbound pipeline like any mail that arrived by SMTP or IMAP, but quietly:
the pipeline sees the `import:` key and neither notifies, nor autoreplies, nor mails anyone.

Mails are stored and processed oldest first (by their Date header), so an original is routed before
its replies. Two passes keep memory small: the first reads only each mail's header to note its date
and where it is; the second, in date order, reads one mail at a time, stores it and processes it.
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
from typing import BinaryIO, cast

from sqlmodel import col, func, select

from bridge.context import Context
from bridge.db import read_session
from bridge.inbound_store import IMPORT_PREFIX, store_raw
from bridge.pipeline import process_pending
from chatcore.models import SpoolItem, SpoolStatus

HEADER_LIMIT = 256 * 1024
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
    """Store every mail of `sources` once and process it; count the outcome."""
    with _Reader(sources) as reader:
        index = sorted(reader.index())
        stored: list[str] = []
        for done, (_date, _order, where) in enumerate(index, start=1):
            raw = reader.read(where)
            key = IMPORT_PREFIX + hashlib.sha256(raw).hexdigest()
            if store_raw(context, key, raw, None, []):
                stored.append(key)
                process_pending(context)
            if progress is not None:
                progress(done, len(index))
    while process_pending(context) > 0:  # whatever a crashed earlier run left pending
        pass
    return ImportResult(len(stored), len(index) - len(stored), _count_quarantined(context, stored))


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


Where = tuple[int, str | None]  # (source number, the mail's key in its mbox or Maildir; None for .eml)


class _Reader:
    """Opens each mbox and Maildir once for both passes."""

    def __init__(self, sources: Sequence[MailSource]) -> None:
        self.sources = sources
        self.boxes: dict[int, mailbox.Mailbox[mailbox.Message]] = {}

    def __enter__(self) -> _Reader:
        for number, source in enumerate(self.sources):
            if source.kind is MailKind.MBOX:
                self.boxes[number] = mailbox.mbox(source.path, create=False)
            elif source.kind is MailKind.MAILDIR:
                self.boxes[number] = mailbox.Maildir(source.path, create=False)
        return self

    def __exit__(self, *exc: object) -> None:
        for box in self.boxes.values():
            box.close()

    def index(self) -> Iterator[tuple[datetime, int, Where]]:
        """(date, order read, where) for every mail, from its header alone."""
        order = 0
        for number in range(len(self.sources)):
            box = self.boxes.get(number)
            keys: list[str | None] = [None] if box is None else [*sorted(box.keys())]
            for key in keys:
                with self._open(number, key) as handle:
                    yield _date_of(_header_block(handle)), order, (number, key)
                order += 1

    def read(self, where: Where) -> bytes:
        number, key = where
        box = self.boxes.get(number)
        if box is None:
            return self.sources[number].path.read_bytes()
        assert key is not None
        return box.get_bytes(key)

    def _open(self, number: int, key: str | None) -> BinaryIO:
        box = self.boxes.get(number)
        if box is None:
            return self.sources[number].path.open("rb")
        assert key is not None
        return cast(BinaryIO, box.get_file(key))


def _header_block(handle: BinaryIO) -> bytes:
    """The header lines, up to the empty line (and at most HEADER_LIMIT bytes of them)."""
    lines: list[bytes] = []
    size = 0
    for line in handle:
        if line in (b"\n", b"\r\n") or size > HEADER_LIMIT:
            break
        lines.append(line)
        size += len(line)
    return b"".join(lines)


def _date_of(header: bytes) -> datetime:
    value = BytesHeaderParser().parsebytes(header).get("Date")
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
    with read_session(context.engine) as session:
        for start in range(0, len(keys), 500):
            query = select(func.count()).where(
                col(SpoolItem.source_key).in_(keys[start : start + 500]),
                SpoolItem.status == SpoolStatus.QUARANTINED,
            )
            total += session.exec(query).one()
    return total
