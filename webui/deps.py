"""What the web app needs from the outside, handed in by bridge.app (webui never imports bridge)."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from chatcore.autoreply import AutoreplyRule
from chatcore.clock import Clock
from chatcore.contact_history import HistoryLimits
from chatcore.events import Delivery, Event
from chatcore.hours import WorkingHours
from chatcore.models import Operator, SpoolItem
from webui.file_links import FileLinks


class BlobStorage(Protocol):
    """Files by the SHA-256 of their content (bridge.blobs.BlobStore)."""

    def put(self, data: bytes) -> str: ...

    def path_of(self, digest: str) -> Path: ...

    def read(self, digest: str) -> bytes: ...


class EventSubscription(Protocol):
    """One stream's place in the committed events (bridge.events.Subscription)."""

    async def open(self) -> None:
        """Pin where the stream starts, before the client hears it is connected."""

    async def next(self, timeout: float) -> list[Delivery] | None:
        """Deliveries to send; [] after `timeout` without any; None when the stream must end."""


class EventFeed(Protocol):
    """The process's event hub (bridge.events.EventHub)."""

    def subscribe(self, after: int | None) -> EventSubscription: ...


class MailRetries(Protocol):
    """Retries that need the pipeline or the outbound settings (bridge.mail_review.MailRetries)."""

    def retry_quarantined(self, spool_id: int) -> SpoolItem | None:
        """Run the mail through the pipeline again; the row as it ended, None if it was not held."""

    def retry_delivery(self, outbox_id: int) -> bool:
        """Make a failing outbox row due now; False when there is none (or a sender holds it)."""
class RulesInForce(Protocol):
    """The working hours and autoreply rules of one load of config.toml (bridge.rulebook.Rules)."""

    @property
    def hours(self) -> WorkingHours: ...

    @property
    def autoreplies(self) -> tuple[AutoreplyRule, ...]: ...


class ReloadProblems(Protocol):
    """Why the latest reload of config.toml was refused (bridge.rulebook.ReloadFailure)."""

    @property
    def at(self) -> datetime: ...

    @property
    def problems(self) -> tuple[str, ...]: ...


class RuleSource(Protocol):
    """The rules in force and the last refused reload (bridge.rulebook.RuleBook)."""

    @property
    def current(self) -> RulesInForce: ...

    @property
    def last_failure(self) -> ReloadProblems | None: ...


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
    mail_retries: MailRetries | None = None  # Settings → Mail's retry buttons; None: they answer 503
    # Queues the set-password invitation of `relaydesk operator add` (bridge.invitations) in the
    # caller's transaction, voiding the operator's earlier links and sessions; None: cannot invite.
    invite: Callable[[Session, Operator], None] | None = None
    rules: RuleSource | None = None  # hours and autoreplies for the Settings page; None: always open, none
    widget_origins: tuple[str, ...] = ()  # [widget].allowed_origins: other sites' pages that embed the widget
    history: HistoryLimits = field(default_factory=HistoryLimits)  # [contacts].history_days, history_events
    avatar_service: str | None = None  # [contacts].avatar_service when avatar_lookup is on, else None
