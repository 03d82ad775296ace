"""The SMTP/LMTP receiver: cheap checks at RCPT, a durable spool write at DATA, nothing else."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, AnyStr

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from inbound.spool import SpoolWriter

log = logging.getLogger(__name__)
SPOOL_FAILED = "451 4.3.0 Temporary failure storing the message, please retry"
MAX_RECIPIENTS = 100  # RFC 5321 asks servers to take at least 100; a sender with more sends again
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients, send the rest in another transaction"


@dataclass(frozen=True)
class Mailbox:
    """Which recipients we accept: `local@domain` and `local+anything@domain`."""

    local_part: str
    domains: frozenset[str]

    def rejects(self, address: str) -> str | None:
        """None when `address` is ours, else the reason to give at RCPT."""
        local, at, domain = address.lower().rpartition("@")
        if not at or domain not in self.domains:
            return f"550 5.1.2 <{address}>: we do not accept mail for domain {domain or '(none)'}"
        if local.split("+", 1)[0] != self.local_part:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        return None


class SpoolingHandler:
    """aiosmtpd handler: its hooks return the SMTP reply."""

    def __init__(
        self,
        spool: SpoolWriter,
        mailbox: Mailbox,
        on_spooled: Callable[[], None] | None = None,
        max_recipients: int = MAX_RECIPIENTS,
    ):
        self.spool = spool
        self.mailbox = mailbox
        self.on_spooled = on_spooled
        self.max_recipients = max_recipients

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        """aiosmtpd offers AUTH after STARTTLS; we have no accounts, so we do not offer it."""
        session.host_name = hostname
        return [line for line in responses if not line[4:].startswith("AUTH")]

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return TOO_MANY_RECIPIENTS
        reason = self.mailbox.rejects(address)
        if reason:
            return reason
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            key = await self.spool.write(raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        except OSError as exc:
            log.error("spool write failed, asking the sender to retry: %s", exc)
            return _per_recipient(server, envelope, SPOOL_FAILED)
        if self.on_spooled:
            self.on_spooled()
        return _per_recipient(server, envelope, f"250 2.0.0 Queued as {key}")


def _per_recipient(server: SMTP, envelope: Envelope, reply: str) -> str:
    """LMTP answers DATA once per accepted recipient (RFC 2033), in RCPT order; SMTP answers once."""
    if not isinstance(server, LMTP):
        return reply
    code, _, text = reply.partition(" ")
    return "\r\n".join(f"{code} {text} for <{address}>" for address in envelope.rcpt_tos)


class _PerRecipientLMTP(LMTP):
    """aiosmtpd refuses an oversized DATA (or one with an over-long line) with one reply; in LMTP each
    accepted recipient is owed one (RFC 2033), or the client (Postfix) waits for the rest until it
    times out."""

    async def push(self, status: AnyStr) -> None:
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else status
        if text.startswith(_DATA_REFUSALS) and self.envelope is not None and self.envelope.rcpt_tos:
            await super().push("\r\n".join(f"{text} for <{rcpt}>" for rcpt in self.envelope.rcpt_tos))
        else:
            await super().push(status)


_DATA_REFUSALS = ("552 Error: Too much mail data", "500 Line too long")


@dataclass(frozen=True)
class ListenConfig:
    host: str
    port: int
    lmtp: bool
    max_message_size: int
    tls_context: ssl.SSLContext | None = None


def make_protocol_factory(handler: SpoolingHandler, config: ListenConfig) -> Callable[[], Any]:
    def factory() -> SMTP:
        kwargs: dict[str, Any] = {
            "data_size_limit": config.max_message_size,
            "enable_SMTPUTF8": True,
            "decode_data": False,
            "ident": "Relaydesk ESMTP",
        }
        if config.tls_context is not None:
            kwargs["tls_context"] = config.tls_context
            kwargs["require_starttls"] = False
        cls = _PerRecipientLMTP if config.lmtp else SMTP
        return cls(handler, **kwargs)

    return factory


async def start_server(handler: SpoolingHandler, config: ListenConfig) -> asyncio.Server:
    """Listen in the running loop; warns when reachable beyond loopback without TLS."""
    if config.host not in ("127.0.0.1", "::1", "localhost") and config.tls_context is None:
        log.warning("SMTP listens on %s without TLS: configure tls_cert/tls_key", config.host)
    loop = asyncio.get_running_loop()
    return await loop.create_server(make_protocol_factory(handler, config), config.host, config.port)
