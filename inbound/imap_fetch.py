"""IMAP fetcher (placeholder until the full fetcher lands)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cursor:
    uidvalidity: int
    last_uid: int
