"""What the web app needs from the outside, handed in by bridge.app (webui never imports bridge)."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from chatcore.clock import Clock
from chatcore.contact_history import HistoryLimits
from chatcore.events import Delivery, Event
from webui.file_links import FileLinks


class BlobStorage(Protocol):
    """Files by the SHA-256 of their content (bridge.blobs.BlobStore)."""

    def put(self, data: bytes) -> str: ...

    def path_of(self, digest: str) -> Path: ...

    def read(self, digest: str) -> bytes: ...


class EventSubscription(Protocol):
    """One stream's place in the committed events (bridge.events.Subscription)."""

    async def next(self, timeout: float) -> list[Delivery] | None:
        """Deliveries to send; [] after `timeout` without any; None when the stream must end."""


class EventFeed(Protocol):
    """The process's event hub (bridge.events.EventHub)."""

    def subscribe(self, after: int | None) -> EventSubscription: ...


@dataclass(frozen=True)
class WebDeps:
    engine: Engine
    clock: Clock
    secret_key: str
    site_name: str
    base_url: str
    language: str
    widget_mode: str
    templates_dir: Path
    react: Callable[[Session, list[Event]], None]
    translations: Callable[[str], gettext.NullTranslations]
    blobs: BlobStorage
    file_links: FileLinks
    max_file_size: int
    https_only: bool = False
    max_avatar_size: int = 1024 * 1024
    mail_address: str = ""  # the desk's own address, which no operator may claim
    # the same database for transactions that only read (bridge.db.reads): on SQLite they take no lock
    read_engine: Engine | None = None

    def read_session(self) -> Session:
        """A session for work that only reads; writes go through a session on `engine`."""
        return Session(self.read_engine or self.engine, expire_on_commit=False)

    events: EventFeed | None = None  # the live streams' source; None: they answer 503
    event_heartbeat: float = 15.0  # seconds between comment lines on an idle stream
    previous_secret_keys: tuple[str, ...] = ()  # still accepted for signed values (key rotation)
    history: HistoryLimits = field(default_factory=HistoryLimits)  # [contacts].history_days, history_events
    avatar_service: str | None = None  # [contacts].avatar_service when avatar_lookup is on, else None
