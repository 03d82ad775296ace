"""Files stored by the SHA-256 of their content; a filename is only ever shown, never used as a path."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_of(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
        return digest

    def path_of(self, digest: str) -> Path:
        if not _SHA256.match(digest):
            raise ValueError("not a SHA-256 digest")
        return self.directory / digest[:2] / digest[2:4] / digest

    def read(self, digest: str) -> bytes:
        return self.path_of(digest).read_bytes()
