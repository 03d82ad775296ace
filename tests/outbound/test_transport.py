"""SmtpTransport against real aiosmtpd relays on loopback: STARTTLS, implicit TLS, AUTH, reuse, codes."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from outbound.transport import PermanentFailure, SmtpRelay, SmtpTransport, TemporaryFailure
from tests.support.certs import Certificate, self_signed
from tests.support.dovecot import free_loopback_port as free_port

MAIL = b"From: support@example.com\r\nTo: anna@example.org\r\nSubject: Hi\r\n\r\nHello, Anna.\r\n"


@dataclass
class Relay:
    """Records what it accepted and from which connections; answers `reply_to_rcpt` to every RCPT."""

    received: list[tuple[str, list[str], bytes, bool]] = field(default_factory=list)
    peers: set[object] = field(default_factory=set)
    reply_to_rcpt: str | None = None

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.reply_to_rcpt:
            return self.reply_to_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        secure = session.ssl is not None
        self.peers.add(session.peer)
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        self.received.append((envelope.mail_from or "", list(envelope.rcpt_tos), content, secure))
        return "250 queued"


def password_check(
    server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    good = isinstance(data, LoginPassword) and (data.login, data.password) == (b"relay-user", b"s3cret")
    return AuthResult(success=good, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed(tmp_path_factory.mktemp("relay-cert"))


def server_context(certificate: Certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.cert, certificate.key)
    return context


@pytest.fixture
def start_relay() -> Iterator[Any]:
    controllers: list[Controller] = []

    def start(**options: Any) -> tuple[Relay, int]:
        relay, port = Relay(), free_port()
        controller = Controller(relay, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return relay, port

    yield start
    for controller in controllers:
        controller.stop()


def login_relay(start_relay: Any, certificate: Certificate, password: str) -> tuple[Relay, SmtpTransport]:
    """A relay that wants STARTTLS and a login, and a transport that logs in with `password`."""
    relay, port = start_relay(
        tls_context=server_context(certificate), require_starttls=True,
        authenticator=password_check, auth_required=True,
    )  # fmt: skip
    transport = SmtpTransport(
        SmtpRelay("127.0.0.1", port, starttls=True, username="relay-user", password=password,
                  ca_file=str(certificate.cert), timeout=10)
    )  # fmt: skip
    return relay, transport


def test_starttls_and_auth_deliver_over_one_encrypted_connection(
    start_relay: Any, certificate: Certificate
) -> None:
    relay, transport = login_relay(start_relay, certificate, "s3cret")
    transport.send("support+b.1@example.com", "anna@example.org", MAIL)
    transport.send("support+b.2@example.com", "boris@example.org", MAIL)
    transport.close()

    assert [(sender, rcpts, secure) for sender, rcpts, _, secure in relay.received] == [
        ("support+b.1@example.com", ["anna@example.org"], True),
        ("support+b.2@example.com", ["boris@example.org"], True),
    ]
    assert relay.received[0][2].endswith(b"Hello, Anna.\r\n")
    assert len(relay.peers) == 1


def test_implicit_tls_delivers(start_relay: Any, certificate: Certificate) -> None:
    relay, port = start_relay(ssl_context=server_context(certificate))
    transport = SmtpTransport(
        SmtpRelay("127.0.0.1", port, ssl=True, ca_file=str(certificate.cert), timeout=10)
    )
    transport.send("support@example.com", "anna@example.org", MAIL)
    transport.close()
    assert [rcpts for _, rcpts, _, _ in relay.received] == [["anna@example.org"]]


def test_an_untrusted_certificate_is_a_temporary_failure(start_relay: Any, certificate: Certificate) -> None:
    relay, port = start_relay(tls_context=server_context(certificate), require_starttls=True)
    transport = SmtpTransport(SmtpRelay("127.0.0.1", port, starttls=True, timeout=10))
    with pytest.raises(TemporaryFailure, match="CERTIFICATE_VERIFY_FAILED"):
        transport.send("support@example.com", "anna@example.org", MAIL)
    assert relay.received == []


def test_a_refused_login_keeps_the_mail_for_a_retry(start_relay: Any, certificate: Certificate) -> None:
    relay, transport = login_relay(start_relay, certificate, "wrong")
    with pytest.raises(TemporaryFailure, match="refused our login: 535"):
        transport.send("support@example.com", "anna@example.org", MAIL)
    assert relay.received == []


@pytest.mark.parametrize(
    ("reply", "failure"),
    [("450 4.2.1 mailbox busy", TemporaryFailure), ("550 5.1.1 no such user", PermanentFailure)],
)
def test_recipient_codes_decide_retry_or_failure(
    start_relay: Any, reply: str, failure: type[Exception]
) -> None:
    relay, port = start_relay()
    relay.reply_to_rcpt = reply
    transport = SmtpTransport(SmtpRelay("127.0.0.1", port, timeout=10))
    with pytest.raises(failure, match=reply.split()[0]):
        transport.send("support@example.com", "anna@example.org", MAIL)
    transport.close()
