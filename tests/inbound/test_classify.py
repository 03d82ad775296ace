from __future__ import annotations

from collections.abc import Callable

import pytest

from inbound.classify import Classification, MailKind, classify
from inbound.parse import parse_mail

Load = Callable[[str], bytes]
OWN = frozenset({"support@example.com"})
ORIGIN = "relaydesk-test-origin"


def verdict(raw: bytes, envelope_sender: str | None = "someone@example.net") -> Classification:
    return classify(parse_mail(raw), envelope_sender, own_addresses=OWN, own_origin=ORIGIN)


def headers(*lines: str) -> bytes:
    head = "\r\n".join(("From: Visitor <visitor@example.net>", "To: support@example.com", *lines))
    return (head + "\r\n\r\nHello\r\n").encode()


@pytest.mark.parametrize(
    "name",
    [
        "gmail-alternative-utf8-base64.eml",
        "outlook-related-cid-image-cp1251-qp.eml",
        "thunderbird-koi8r-8bit-rfc2231-filename.eml",
        "apple-alternative-related-inline-image.eml",
        "cp1251-undeclared-8bit-headers-and-body.eml",
    ],
)
def test_mail_written_by_people_is_human(mail_bytes: Load, name: str) -> None:
    result = verdict(mail_bytes(name))
    assert result.kind is MailKind.HUMAN
    assert not result.is_automatic


def test_postfix_dsn_is_a_permanent_bounce_for_the_failed_recipient_only(mail_bytes: Load) -> None:
    result = verdict(mail_bytes("postfix-dsn-bounce.eml"), envelope_sender="")
    assert result.kind is MailKind.BOUNCE
    assert result.bounced_recipients == ("nobody@customer.example",)  # the delayed one is not listed
    assert result.bounce_permanent
    assert result.is_automatic
    assert result.bounce_diagnostic == (
        "550 5.1.1 <nobody@customer.example>: Recipient address rejected: User unknown"
    ), "what the failing server said, its folded line joined"


def test_a_report_without_a_diagnostic_code_names_the_status(mail_bytes: Load) -> None:
    raw = mail_bytes("postfix-dsn-bounce.eml")
    start = raw.index(b"Diagnostic-Code: smtp; 550")
    end = raw.index(b"User unknown\r\n", start) + len(b"User unknown\r\n")
    assert verdict(raw[:start] + raw[end:]).bounce_diagnostic == "status 5.1.1"


def test_temporary_failure_is_a_bounce_but_not_permanent(mail_bytes: Load) -> None:
    raw = mail_bytes("postfix-dsn-bounce.eml").replace(b"Status: 5.1.1", b"Status: 4.2.2")
    result = verdict(raw)
    assert result.kind is MailKind.BOUNCE
    assert not result.bounce_permanent


def test_out_of_office_is_auto_with_the_header_as_reason(mail_bytes: Load) -> None:
    result = verdict(mail_bytes("out-of-office-auto-submitted.eml"))
    assert result == Classification(MailKind.AUTO, "Auto-Submitted: auto-replied")


def test_mailing_list_is_list(mail_bytes: Load) -> None:
    result = verdict(mail_bytes("mailing-list-digest.eml"))
    assert result.kind is MailKind.LIST
    assert result.reason.startswith("List-Id:")


def test_own_notification_coming_back_is_a_loop_before_anything_else(mail_bytes: Load) -> None:
    result = verdict(mail_bytes("own-notification-loop.eml"), envelope_sender="")
    assert result.kind is MailKind.LOOP
    assert result.reason == "X-Relaydesk-Origin: relaydesk-test-origin"


def test_other_origin_is_not_our_loop() -> None:
    assert verdict(headers("X-Relaydesk-Origin: another-install")).kind is MailKind.HUMAN


def test_mail_from_our_address_with_a_token_is_a_loop() -> None:
    raw = headers().replace(b"visitor@example.net", b"Support+Q2W3E4@Example.com")
    result = verdict(raw)
    assert result.kind is MailKind.LOOP
    assert "support+q2w3e4@example.com" in result.reason


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Auto-Submitted: auto-generated", MailKind.AUTO),
        ("Auto-Submitted: auto-replied; owner-email=x@example.net", MailKind.AUTO),
        ("X-Autoreply: yes", MailKind.AUTO),
        ("X-Autorespond: Out of office", MailKind.AUTO),
        ("X-Auto-Response-Suppress: All", MailKind.AUTO),
        ("Precedence: bulk", MailKind.AUTO),
        ("Precedence: junk", MailKind.AUTO),
        ("Precedence: list", MailKind.LIST),
        ("List-Unsubscribe: <mailto:leave@lists.example.net>", MailKind.LIST),
        ("List-Id: <news.example.net>", MailKind.LIST),
        ("Auto-Submitted: no", MailKind.HUMAN),
        ("Precedence: first-class", MailKind.HUMAN),
    ],
)
def test_header_markers(line: str, kind: MailKind) -> None:
    assert verdict(headers(line)).kind is kind


@pytest.mark.parametrize("sender", ["", "<>", " <> "])
def test_empty_envelope_sender_is_auto(sender: str) -> None:
    result = verdict(headers(), envelope_sender=sender)
    assert result.kind is MailKind.AUTO
    assert "empty envelope sender" in result.reason


def test_unknown_envelope_falls_back_to_return_path_header() -> None:
    assert verdict(headers("Return-Path: <>"), envelope_sender=None).kind is MailKind.AUTO
    assert verdict(headers("Return-Path: <v@example.net>"), envelope_sender=None).kind is MailKind.HUMAN


def test_bounce_wins_over_auto_submitted_and_empty_sender(mail_bytes: Load) -> None:
    raw = mail_bytes("postfix-dsn-bounce.eml")
    assert b"Auto-Submitted: auto-replied" in raw
    assert verdict(raw, envelope_sender="<>").kind is MailKind.BOUNCE


def test_read_receipt_report_is_auto_not_a_bounce() -> None:
    raw = (
        b"From: reports@example.net\r\nTo: support@example.com\r\n"
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: text/plain\r\n\r\nYour message was displayed.\r\n--r--\r\n"
    )
    assert verdict(raw) == Classification(MailKind.AUTO, "Content-Type: multipart/report")
