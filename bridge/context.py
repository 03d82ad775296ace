"""Everything the bridge's parts share, built once from the settings by bridge.app."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bridge.i18n import Catalogs
from bridge.rulebook import RuleBook
from bridge.settings import Settings
from bridge.tokens import TokenCodec
from chatcore.clock import Clock
from outbound.render import EmailRenderer


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    settings: Settings
    engine: Engine
    codec: TokenCodec
    renderer: EmailRenderer
    catalogs: Catalogs
    clock: Clock
    rules: RuleBook

    @property
    def origin(self) -> str:
        """The value of X-Relaydesk-Origin on our mail: recognises our own mail coming back."""
        digest = hashlib.sha256(b"origin\x00" + self.settings.site.secret_key.encode("utf-8"))
        return digest.hexdigest()[:24]

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset({self.settings.mail.address})
