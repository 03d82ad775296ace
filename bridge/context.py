"""Everything the bridge's parts share, built once from the settings by bridge.app."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from bridge.i18n import Catalogs
from bridge.rulebook import RuleBook
from bridge.settings import Settings
from bridge.tokens import TokenCodec
from chatcore.clock import Clock
from inbound.dkim_check import DnsFunc, DomainProbe
from outbound.dkim import DkimSigner
from outbound.render import EmailRenderer


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetFileClock:
    """The system time plus a number of seconds read from a file: lets tests (and rehearsals of
    working hours) move a running process through time. Used only when RELAYDESK_CLOCK_OFFSET_FILE
    names such a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        try:
            offset = float(self.path.read_text(encoding="ascii").strip() or 0)
        except (OSError, ValueError):
            offset = 0.0
        return datetime.now(UTC) + timedelta(seconds=offset)


def clock_from_environment(environ: Mapping[str, str]) -> Clock:
    path = environ.get("RELAYDESK_CLOCK_OFFSET_FILE")
    return OffsetFileClock(Path(path)) if path else SystemClock()


@dataclass(frozen=True)
class Context:
    settings: Settings
    engine: Engine
    codec: TokenCodec
    renderer: EmailRenderer
    catalogs: Catalogs
    clock: Clock
    rules: RuleBook
    dkim_signer: DkimSigner | None = None  # set when [outbound] names a DKIM selector and key
    dkim_dns: DnsFunc | None = None  # looks up DKIM keys; None is dkimpy's own DNS lookup
    dkim_probe: DomainProbe | None = None  # does a domain publish DKIM keys; None asks DNS

    @property
    def origin(self) -> str:
        """The value of X-Relaydesk-Origin on our mail: recognises our own mail coming back."""
        digest = hashlib.sha256(b"origin\x00" + self.settings.site.secret_key.encode("utf-8"))
        return digest.hexdigest()[:24]

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset({self.settings.mail.address})
