"""A durable SMTP spool: a mail is written to a journal and covered by an fdatasync before SMTP answers 250.

Sessions that arrive together share one fdatasync (group commit): while one sync runs, new mail queues,
and the next write takes all of it and syncs once. Each receiving process writes to a segment of its
own, which it keeps locked while in use. Segments are filled with zeros when created, so a sync writes
the mail and nothing else (no file size to record). The worker reads the complete records of every
segment, and deletes a segment once no writer holds it and every record in it is stored elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import queue
import struct
import threading
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

SEGMENT_SIZE = 4 * 1024 * 1024  # zeros written per segment up front; a writer moves on once it is full
_MAGIC = b"RDS1"
_HEAD = struct.Struct(">4sIII")  # magic, envelope length, mail length, CRC-32 of envelope and mail
_ZEROS = bytes(1024 * 1024)


@dataclass(frozen=True)
class SpooledMail:
    key: str
    raw: bytes
    envelope_from: str
    envelope_to: tuple[str, ...]


def encode_record(raw: bytes, envelope_from: str, envelope_to: list[str]) -> bytes:
    envelope = json.dumps({"from": envelope_from, "to": envelope_to}).encode("utf-8")
    crc = zlib.crc32(raw, zlib.crc32(envelope))
    return _HEAD.pack(_MAGIC, len(envelope), len(raw), crc) + envelope + raw


_Queued = tuple[bytes, "asyncio.Future[str]"]  # a record waiting to be written, and who waits for it


class SpoolWriter:
    """The SMTP side. `write` returns only once an fdatasync covers the mail (OSError when it cannot).

    Writes run on a thread of the writer's own, one batch at a time: a busy shared pool never delays a
    reply, and a segment is never written by two threads."""

    def __init__(self, directory: Path, segment_size: int = SEGMENT_SIZE) -> None:
        self.directory = directory
        self._journal, self._tmp = directory / "journal", directory / "tmp"
        self._journal.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._segment_size = segment_size
        self._segment: _Segment | None = None
        self._batches: queue.SimpleQueue[tuple[asyncio.AbstractEventLoop, list[_Queued]] | None]
        self._batches = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._queue: list[_Queued] = []
        self._syncing = False

    async def write(self, raw: bytes, envelope_from: str, envelope_to: list[str]) -> str:
        """Store durably and return the key."""
        done = asyncio.get_running_loop().create_future()
        self._queue.append((encode_record(raw, envelope_from, envelope_to), done))
        if not self._syncing:
            self._sync_queued()
        key: str = await done
        return key

    def close(self) -> None:
        """Finish the writes in hand and release the segment (the worker deletes it once drained)."""
        if self._thread is not None:
            self._batches.put(None)
            self._thread.join()
            self._thread = None

    def _sync_queued(self) -> None:
        batch, self._queue = self._queue, []
        self._syncing = True
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="spool-writer", daemon=True)
            self._thread.start()
        self._batches.put((asyncio.get_running_loop(), batch))

    def _run(self) -> None:
        while (request := self._batches.get()) is not None:
            loop, batch = request
            try:
                keys, error = self._write([record for record, _ in batch]), None
            except Exception as exc:  # handed to the sessions waiting, which answer 451
                keys, error = [], exc
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
                loop.call_soon_threadsafe(self._answer, batch, keys, error)
        self._release()

    def _answer(self, batch: list[_Queued], keys: list[str], error: Exception | None) -> None:
        self._syncing = False
        for index, (_, done) in enumerate(batch):
            if done.done():
                continue
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(keys[index])
        if self._queue:
            self._sync_queued()

    def _write(self, records: list[bytes]) -> list[str]:
        if self._segment is None:
            self._segment = _Segment.create(self._journal, self._tmp, self._segment_size)
        try:
            keys = self._segment.write(records)
        except OSError:
            self._release()  # never write behind a write that failed half way
            raise
        if self._segment.used >= self._segment_size:
            self._release()
        return keys

    def _release(self) -> None:
        if self._segment is not None:
            self._segment.close()
            self._segment = None


class _Segment:
    def __init__(self, name: str, descriptor: int) -> None:
        self.name, self.descriptor, self.used = name, descriptor, 0

    @classmethod
    def create(cls, journal: Path, tmp: Path, size: int) -> _Segment:
        """Locked before it appears in the journal, so a reader never takes a live segment for a dead one."""
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{os.getpid()}-{uuid.uuid4().hex[:8]}.log"
        descriptor = os.open(tmp / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            for offset in range(0, size, len(_ZEROS)):
                _write_at(descriptor, _ZEROS[: size - offset], offset)
            os.fsync(descriptor)
            os.rename(tmp / name, journal / name)
            _fsync_directory(journal)
        except OSError:
            os.close(descriptor)
            (tmp / name).unlink(missing_ok=True)
            raise
        return cls(name, descriptor)

    def write(self, records: list[bytes]) -> list[str]:
        keys, start = [], self.used
        for record in records:
            keys.append(f"{self.name.removesuffix('.log')}:{self.used}")
            self.used += len(record)
        _write_at(self.descriptor, b"".join(records), start)
        os.fdatasync(self.descriptor)  # also records a larger size when a big mail ran past the zeros
        return keys

    def close(self) -> None:
        os.close(self.descriptor)  # releases the lock


class SpoolReader:
    """The worker side: hands over complete mails, oldest segment first, and deletes drained segments."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._journal, self._legacy = directory / "journal", directory / "new"
        self._journal.mkdir(parents=True, exist_ok=True)
        self._offsets: dict[str, int] = {}  # how far each segment has been handed over

    def drain(self, store: Callable[[SpooledMail], object]) -> int:
        """Give every complete mail not handed over yet to `store`, which must keep it before it returns."""
        count = _drain_legacy(self._legacy, store)
        for path in sorted(self._journal.glob("*.log")):
            count += self._drain_segment(path, store)
        return count

    def _drain_segment(self, path: Path, store: Callable[[SpooledMail], object]) -> int:
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            self._offsets.pop(path.name, None)  # another reader finished it
            return 0
        try:
            writer_gone = _try_lock(descriptor)  # taken first, so every write of that writer is seen
            position, count = self._offsets.get(path.name, 0), 0
            while (found := _read_record(descriptor, position, f"{path.stem}:")) is not None:
                mail, position = found
                store(mail)
                count += 1
                self._offsets[path.name] = position
            if writer_gone:
                self._retire(path, descriptor, position)
        finally:
            os.close(descriptor)
        return count

    def _retire(self, path: Path, descriptor: int, position: int) -> None:
        """Delete a segment its writer left; keep it aside if it holds anything but a clean or torn end."""
        self._offsets.pop(path.name, None)
        rest = _read_rest(descriptor, position)
        if _is_torn_end(rest):
            log.warning("spool %s: dropped a write cut short at %d (never acknowledged)", path.name, position)
        elif rest.strip(b"\0"):
            damaged = path.with_suffix(".damaged")
            log.error("spool %s: unreadable record at %d; kept as %s", path.name, position, damaged.name)
            path.rename(damaged)
            return
        path.unlink(missing_ok=True)


def _read_record(descriptor: int, position: int, key_prefix: str) -> tuple[SpooledMail, int] | None:
    """The complete, intact record at `position` and the position after it; None if there is none."""
    head = os.pread(descriptor, _HEAD.size, position)
    if len(head) < _HEAD.size:
        return None
    magic, envelope_length, raw_length, crc = _HEAD.unpack(head)
    end = position + _HEAD.size + envelope_length + raw_length
    if magic != _MAGIC or not envelope_length or end > os.fstat(descriptor).st_size:
        return None
    body = os.pread(descriptor, envelope_length + raw_length, position + _HEAD.size)
    envelope_bytes, raw = body[:envelope_length], body[envelope_length:]
    if zlib.crc32(raw, zlib.crc32(envelope_bytes)) != crc:
        return None
    envelope = json.loads(envelope_bytes)
    return SpooledMail(f"{key_prefix}{position}", raw, envelope["from"], tuple(envelope["to"])), end


def _is_torn_end(rest: bytes) -> bool:
    """What a crash leaves when it cuts a write short: a record that starts well, then zeros (or the end
    of the file) where the rest of it and anything after it should be. Such mail was never acknowledged."""
    if not rest.strip(b"\0") or not rest.startswith(_MAGIC[: len(rest)]):
        return False
    if len(rest) < _HEAD.size:
        return True
    _, envelope_length, raw_length, _ = _HEAD.unpack_from(rest)
    end = _HEAD.size + envelope_length + raw_length
    return (end > len(rest) or rest[end - 1] == 0) and not rest[end:].strip(b"\0")


def _read_rest(descriptor: int, position: int) -> bytes:
    return os.pread(descriptor, max(os.fstat(descriptor).st_size - position, 0), position)


def _write_at(descriptor: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(descriptor, view, offset)
        view, offset = view[written:], offset + written


def _drain_legacy(directory: Path, store: Callable[[SpooledMail], object]) -> int:
    """Files of the spool's first format (one file per mail in `new/`), left from before an upgrade."""
    if not directory.is_dir():
        return 0
    count = 0
    for path in sorted(directory.iterdir()):
        try:
            header, _, raw = path.read_bytes().partition(b"\n")
        except FileNotFoundError:
            continue  # another reader took it
        envelope = json.loads(header)
        store(SpooledMail(path.name, raw, envelope["from"], tuple(envelope["to"])))
        path.unlink(missing_ok=True)
        count += 1
    return count


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        return True


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
