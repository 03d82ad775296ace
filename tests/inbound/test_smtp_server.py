"""The SMTP/LMTP receiver on a loopback port, driven by swaks and smtplib: what each client is told,
and what is in the spool afterwards (a mail is in the journal exactly when the client heard 250)."""

from __future__ import annotations

import asyncio
import shutil
import smtplib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from inbound.smtp_server import ListenConfig, Mailbox, SpoolingHandler, start_server
from inbound.spool import SpooledMail, SpoolReader, SpoolWriter
from tests.support.dovecot import free_loopback_port
from tests.support.swaks import ACCEPTED, DATA_REFUSED, NO_RECIPIENT_ACCEPTED, swaks
from tests.support.tls import Certificate, self_signed

SUPPORT = "support@example.com"
MAX_SIZE = 4000
RUSSIAN = "Здравствуйте! Заказ №42 не пришёл. Ёлка, щётка, «кавычки» — всё в UTF-8."


class Receiver:
    """The real server (inbound.smtp_server) in an event loop on a thread of its own."""

    def __init__(self, directory: Path, *, lmtp: bool = False, tls: Certificate | None = None) -> None:
        self.spool = SpoolWriter(directory)
        self.port = free_loopback_port()
        self.config = ListenConfig(
            "127.0.0.1", self.port, lmtp, MAX_SIZE, tls.server_context() if tls else None
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        handler = SpoolingHandler(self.spool, Mailbox("support", frozenset({"example.com"})))
        self._server = asyncio.run_coroutine_threadsafe(
            start_server(handler, self.config), self._loop
        ).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self.spool.close()

    def mails(self) -> list[SpooledMail]:
        held: list[SpooledMail] = []
        SpoolReader(self.spool.directory).drain(held.append)  # a new reader reads from the start
        return held


MakeReceiver = Callable[..., Receiver]


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[MakeReceiver]:
    started: list[Receiver] = []

    def make(**options: object) -> Receiver:
        server = Receiver(tmp_path / f"spool{len(started)}", **options).__enter__()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield make
    for server in started:
        server.__exit__()


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return self_signed(tmp_path / "tls")


def russian_mail(sender: str = "anna@example.org") -> bytes:
    return (
        f"From: Анна <{sender}>\r\nTo: {SUPPORT}\r\nSubject: Заказ\r\nMessage-ID: <ru1@example.org>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{RUSSIAN}\r\n"
    ).encode()


def test_swaks_delivery_is_on_disk_under_the_key_it_was_told(
    receiver: MakeReceiver, tmp_path: Path
) -> None:
    server = receiver()
    eml = tmp_path / "ru.eml"
    eml.write_bytes(russian_mail())
    run = swaks(server.port, "--from", "anna@example.org", "--to", SUPPORT, "--data", f"@{eml}")

    assert run.code == ACCEPTED, run.transcript
    assert "250-8BITMIME" in run.transcript
    assert "250-SMTPUTF8" in run.transcript
    [key] = run.queued_keys()
    [mail] = server.mails()
    assert mail.key == key
    assert (mail.envelope_from, mail.envelope_to) == ("anna@example.org", (SUPPORT,))
    assert RUSSIAN.encode() in mail.raw, "8-bit UTF-8 is kept byte for byte"


@pytest.mark.parametrize(
    ("recipient", "reply"),
    [
        (
            "someone@elsewhere.org",
            "550 5.1.2 <someone@elsewhere.org>: we do not accept mail for domain elsewhere.org",
        ),
        ("sales@example.com", "550 5.1.1 <sales@example.com>: no such mailbox here"),
    ],
)
def test_swaks_unknown_domain_or_mailbox_is_refused_at_rcpt(
    receiver: MakeReceiver, recipient: str, reply: str
) -> None:
    server = receiver()
    run = swaks(server.port, "--from", "anna@example.org", "--to", recipient)

    assert run.code == NO_RECIPIENT_ACCEPTED, run.transcript
    assert f"<** {reply}" in run.transcript
    assert " -> DATA" not in run.transcript
    assert server.mails() == []


def test_smtplib_refused_recipients_name_the_reason(receiver: MakeReceiver) -> None:
    server = receiver()
    recipients = ["x@elsewhere.org", "sales@example.com"]
    refusal = pytest.raises(smtplib.SMTPRecipientsRefused)
    with smtplib.SMTP("127.0.0.1", server.port) as client, refusal as err:
        client.sendmail("anna@example.org", recipients, russian_mail())
    refused = err.value.recipients
    assert refused["x@elsewhere.org"][0] == 550
    assert b"we do not accept mail for domain elsewhere.org" in refused["x@elsewhere.org"][1]
    assert refused["sales@example.com"] == (550, b"5.1.1 <sales@example.com>: no such mailbox here")
    assert server.mails() == []


def test_swaks_too_large_message_gets_552_and_nothing_is_kept(receiver: MakeReceiver) -> None:
    server = receiver()
    body = "\n".join(["x" * 70] * (MAX_SIZE // 70 + 10))
    run = swaks(server.port, "--from", "anna@example.org", "--to", SUPPORT, "--body", body)

    assert run.code == DATA_REFUSED, run.transcript
    assert "<** 552 Error: Too much mail data" in run.transcript
    assert server.mails() == []


def test_smtplib_declares_the_size_and_is_refused_at_mail_from(receiver: MakeReceiver) -> None:
    server = receiver()
    raw = russian_mail() + b"x" * MAX_SIZE
    with smtplib.SMTP("127.0.0.1", server.port) as client, pytest.raises(smtplib.SMTPSenderRefused) as err:
        client.sendmail("anna@example.org", [SUPPORT], raw)
    assert err.value.smtp_code == 552
    assert server.mails() == []


def test_swaks_starttls_with_a_self_signed_certificate(
    receiver: MakeReceiver, certificate: Certificate
) -> None:
    server = receiver(tls=certificate)
    run = swaks(server.port, "--tls", "--from", "anna@example.org", "--to", SUPPORT, "--body", RUSSIAN)

    assert run.code == ACCEPTED, run.transcript
    assert "=== TLS started with cipher TLSv1." in run.transcript
    assert '=== TLS peer DN="/CN=localhost"' in run.transcript
    assert "<~  250 2.0.0 Queued as" in run.transcript, "the mail went over the encrypted channel"
    assert "AUTH" not in run.transcript, "no AUTH offered: there are no accounts to log in to"
    [mail] = server.mails()
    assert RUSSIAN.encode() in mail.raw


def test_smtplib_starttls_verifies_the_certificate_and_delivers(
    receiver: MakeReceiver, certificate: Certificate
) -> None:
    server = receiver(tls=certificate)
    with smtplib.SMTP("localhost", server.port) as client:
        client.starttls(context=certificate.client_context())
        assert client.sendmail("anna@example.org", [SUPPORT], russian_mail()) == {}
    assert len(server.mails()) == 1


def test_swaks_lmtp_answers_each_recipient(receiver: MakeReceiver) -> None:
    server = receiver(lmtp=True)
    recipients = f"{SUPPORT},support+abc@example.com,sales@example.com"
    run = swaks(server.port, "--protocol", "LMTP", "--from", "anna@example.org", "--to", recipients)

    assert run.code == ACCEPTED, run.transcript
    assert " -> LHLO client.test" in run.transcript
    [mail] = server.mails()
    assert "<** 550 5.1.1 <sales@example.com>: no such mailbox here" in run.transcript
    after_data = run.replies()[-3:-1]  # one reply per accepted recipient, in RCPT order; then QUIT's
    assert after_data == [
        f"250 2.0.0 Queued as {mail.key} for <{SUPPORT}>",
        f"250 2.0.0 Queued as {mail.key} for <support+abc@example.com>",
    ]
    assert mail.envelope_to == (SUPPORT, "support+abc@example.com"), "one spooled mail for both"


def test_swaks_lmtp_too_large_message_gets_552_for_each_recipient(receiver: MakeReceiver) -> None:
    server = receiver(lmtp=True)
    body = "\n".join(["x" * 70] * (MAX_SIZE // 70 + 10))
    recipients = f"{SUPPORT},support+abc@example.com"
    run = swaks(server.port, "--protocol", "LMTP", "--to", recipients, "--body", body)

    assert run.replies()[-3:-1] == [
        f"552 Error: Too much mail data for <{SUPPORT}>",
        "552 Error: Too much mail data for <support+abc@example.com>",
    ], "one reply per recipient, or an LMTP client waits for the second until it times out"
    assert run.replies()[-1].startswith("221"), run.transcript
    assert server.mails() == []


def test_smtplib_lmtp_delivers(receiver: MakeReceiver) -> None:
    server = receiver(lmtp=True)
    with smtplib.LMTP("127.0.0.1", server.port) as client:
        assert client.sendmail("anna@example.org", ["support+abc@example.com"], russian_mail()) == {}
    [mail] = server.mails()
    assert mail.envelope_to == ("support+abc@example.com",)


def test_smtputf8_sender_is_offered_and_kept(receiver: MakeReceiver) -> None:
    server = receiver()
    with smtplib.SMTP("127.0.0.1", server.port) as client:
        client.ehlo()
        assert client.has_extn("smtputf8")
        raw = russian_mail("анна@пример.рф")
        client.sendmail("анна@пример.рф", [SUPPORT], raw, mail_options=["SMTPUTF8"])
    run = swaks(server.port, "--from", "борис@пример.рф", "--to", SUPPORT, "--body", RUSSIAN)
    assert run.code == ACCEPTED, run.transcript
    by_sender = {m.envelope_from: m for m in server.mails()}
    assert sorted(by_sender) == ["анна@пример.рф", "борис@пример.рф"]
    assert "Анна <анна@пример.рф>".encode() in by_sender["анна@пример.рф"].raw


def make_spool_unwritable(spool: SpoolWriter) -> None:
    """A file where the spool's tmp/ folder should be: the writer cannot create its first segment, not
    even as root."""
    shutil.rmtree(spool.directory / "tmp")
    (spool.directory / "tmp").write_bytes(b"")


def mend_spool(spool: SpoolWriter) -> None:
    (spool.directory / "tmp").unlink()
    (spool.directory / "tmp").mkdir()


def test_swaks_gets_451_when_the_spool_cannot_be_written_and_a_retry_lands(
    receiver: MakeReceiver,
) -> None:
    server = receiver()
    make_spool_unwritable(server.spool)
    args = ("--from", "anna@example.org", "--to", SUPPORT, "--body", RUSSIAN)
    refused = swaks(server.port, *args)

    assert refused.code == DATA_REFUSED, refused.transcript
    assert "<** 451 4.3.0 Temporary failure storing the message, please retry" in refused.transcript
    assert server.mails() == []

    mend_spool(server.spool)
    retried = swaks(server.port, *args)
    assert retried.code == ACCEPTED, retried.transcript
    assert len(server.mails()) == 1


def test_smtplib_and_lmtp_get_451_when_the_spool_cannot_be_written(receiver: MakeReceiver) -> None:
    smtp, lmtp = receiver(), receiver(lmtp=True)
    make_spool_unwritable(smtp.spool)
    make_spool_unwritable(lmtp.spool)
    with smtplib.SMTP("127.0.0.1", smtp.port) as client, pytest.raises(smtplib.SMTPDataError) as err:
        client.sendmail("anna@example.org", [SUPPORT], russian_mail())
    assert err.value.smtp_code == 451
    run = swaks(lmtp.port, "--protocol", "LMTP", "--to", f"{SUPPORT},support+x@example.com")
    assert run.replies()[-3:-1] == [
        f"451 4.3.0 Temporary failure storing the message, please retry for <{SUPPORT}>",
        "451 4.3.0 Temporary failure storing the message, please retry for <support+x@example.com>",
    ]
    assert smtp.mails() == lmtp.mails() == []
