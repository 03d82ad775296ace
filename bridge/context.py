"""Everything the bridge's parts share, built once from the settings by bridge.app."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bridge.i18n import Catalogs
from bridge.settings import Settings
from bridge.tokens import TokenCodec
from chatcore.autoreply import AutoreplyRule
from chatcore.clock import Clock
from chatcore.hours import WorkingHours
from inbound.dkim_check import DnsFunc
from outbound.dkim import DkimSigner
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
    hours: WorkingHours
    autoreply_rules: tuple[AutoreplyRule, ...]
    dkim_signer: DkimSigner | None = None  # set when [outbound] names a DKIM selector and key
    dkim_dns: DnsFunc | None = None  # looks up DKIM keys; None is dkimpy's own DNS lookup

    @property
    def origin(self) -> str:
        """The value of X-Relaydesk-Origin on our mail: recognises our own mail coming back."""
        digest = hashlib.sha256(b"origin\x00" + self.settings.site.secret_key.encode("utf-8"))
        return digest.hexdigest()[:24]

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset({self.settings.mail.address})
