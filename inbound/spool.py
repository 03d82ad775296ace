"""A durable file spool: a mail is on disk (written, fsynced, renamed) before SMTP answers 250."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class SpooledMail:
    key: str
    raw: bytes
    envelope_from: str
    envelope_to: tuple[str, ...]
    received_at: datetime


class FileSpool:
    """`new/` holds complete mails; `tmp/` half-written ones, which are never read."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._tmp = directory / "tmp"
        self._new = directory / "new"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._new.mkdir(parents=True, exist_ok=True)

    def write(self, raw: bytes, envelope_from: str, envelope_to: list[str]) -> str:
        """Store durably and return the key; raises OSError when the disk cannot take it."""
        key = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex}"
        header = json.dumps({"from": envelope_from, "to": envelope_to}).encode("utf-8")
        temporary = self._tmp / key
        with open(temporary, "wb") as handle:
            handle.write(header + b"\n" + raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temporary, self._new / key)
        _fsync_directory(self._new)
        return key

    def pending(self) -> Iterator[str]:
        """Keys of complete mails, oldest first."""
        yield from sorted(entry.name for entry in os.scandir(self._new) if entry.is_file())

    def read(self, key: str) -> SpooledMail:
        path = self._new / key
        data = path.read_bytes()
        header, _, raw = data.partition(b"\n")
        envelope = json.loads(header)
        received = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        return SpooledMail(key, raw, envelope["from"], tuple(envelope["to"]), received)

    def remove(self, key: str) -> None:
        (self._new / key).unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
