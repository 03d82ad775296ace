"""Ways to hand a composed email over: an SMTP relay, or a local Maildir when there is none."""

from __future__ import annotations

import mailbox
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class TemporaryFailure(Exception):
    """Try again later: 4xx, a timeout, a refused connection."""


class PermanentFailure(Exception):
    """Do not retry: 5xx for this recipient."""


class MailTransport(Protocol):
    def send(self, envelope_from: str, recipient: str, raw: bytes) -> None: ...

    def close(self) -> None: ...


class MaildirTransport:
    """Writes each mail into a Maildir (tmp → new): `make run` needs no mail server."""

    def __init__(self, directory: Path) -> None:
        self._box = mailbox.Maildir(directory, create=True)

    def send(self, envelope_from: str, recipient: str, raw: bytes) -> None:
        header = f"Return-Path: <{envelope_from}>\nDelivered-To: {recipient}\n".encode("ascii", "replace")
        try:
            self._box.add(header + raw.replace(b"\r\n", b"\n"))
        except OSError as exc:
            raise TemporaryFailure(f"maildir write failed: {exc}") from exc

    def close(self) -> None:
        return None


@dataclass(frozen=True)
class SmtpRelay:
    host: str
    port: int
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str = ""
    timeout: float = 30.0
    ca_file: str | None = None


class SmtpTransport:
    """Keeps one connection open across sends and reconnects when the relay dropped it."""

    def __init__(self, relay: SmtpRelay) -> None:
        self.relay = relay
        self._client: smtplib.SMTP | None = None

    def send(self, envelope_from: str, recipient: str, raw: bytes) -> None:
        try:
            client = self._connected()
            client.sendmail(envelope_from, [recipient], raw)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients[recipient]
            self._fail(code, _text(reply))
        except smtplib.SMTPResponseException as exc:
            self.close()
            self._fail(exc.smtp_code, _text(exc.smtp_error))
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            self.close()
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    def _connected(self) -> smtplib.SMTP:
        if self._client is not None:
            try:
                if self._client.noop()[0] == 250:
                    return self._client
            except (smtplib.SMTPException, OSError):
                pass
            self.close()
        relay = self.relay
        context = ssl.create_default_context(cafile=relay.ca_file)
        client: smtplib.SMTP
        if relay.ssl:
            client = smtplib.SMTP_SSL(relay.host, relay.port, timeout=relay.timeout, context=context)
        else:
            client = smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout)
            if relay.starttls:
                client.starttls(context=context)
        if relay.username:
            _log_in(client, relay)
        self._client = client
        return client

    @staticmethod
    def _fail(code: int, reply: str) -> None:
        message = f"{code} {reply}".strip()
        if 500 <= code < 600:
            raise PermanentFailure(message)
        raise TemporaryFailure(message)


def _log_in(client: smtplib.SMTP, relay: SmtpRelay) -> None:
    """A refused login is our configuration, not the recipient: keep the mail and retry after a fix."""
    try:
        client.login(relay.username or "", relay.password)
    except smtplib.SMTPAuthenticationError as exc:
        client.close()
        reply = f"{exc.smtp_code} {_text(exc.smtp_error)}"
        raise TemporaryFailure(f"the relay refused our login: {reply}") from exc


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
