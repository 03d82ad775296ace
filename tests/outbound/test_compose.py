"""The composed bytes: exactly the headers we mean, whatever the user typed."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.headerregistry import Address

import pytest
from hypothesis import given, settings

from outbound.compose import OutgoingAttachment
from tests.outbound.support import EXPECTED_HEADERS, composed, email_with, top_level_header_names
from tests.outbound.test_headers import INJECTIONS, hostile

FIELDS = ["subject", "from_name", "to_name"]


def assert_only_our_headers(raw: bytes) -> None:
    names = top_level_header_names(raw)
    assert set(names) <= EXPECTED_HEADERS, names
    assert len(names) == len(set(names)), names


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("field", FIELDS)
def test_user_text_never_creates_a_header(field: str, value: str) -> None:
    raw, parsed = composed(email_with(**{field: value}))
    assert_only_our_headers(raw)
    assert "bcc" not in {name.lower() for name in parsed}
    assert parsed["To"].addresses[0].addr_spec == "anna@example.org"
    assert parsed["From"].addresses[0].addr_spec == "support@example.com"


@pytest.mark.parametrize("value", INJECTIONS)
def test_threading_ids_and_extra_headers_never_create_a_header(value: str) -> None:
    mail = email_with(
        in_reply_to=value,
        references=(value, "ok@example.com"),
        extra_headers=(("X-Relaydesk-Origin", value),),
    )
    raw, parsed = composed(mail)
    assert_only_our_headers(raw)
    assert "bcc" not in {name.lower() for name in parsed}


@settings(max_examples=60, deadline=None)
@given(hostile, hostile, hostile)
def test_any_mix_of_hostile_text_keeps_the_header_set(subject: str, from_name: str, to_name: str) -> None:
    raw, parsed = composed(email_with(subject=subject, from_name=from_name, to_name=to_name))
    assert_only_our_headers(raw)
    assert [a.addr_spec for a in parsed["To"].addresses] == ["anna@example.org"]


def test_the_full_header_set() -> None:
    raw, parsed = composed(email_with())
    assert set(top_level_header_names(raw)) == EXPECTED_HEADERS - {"content-transfer-encoding"}
    assert parsed["Message-ID"] == "<rd.abc.1@example.com>"
    assert parsed["In-Reply-To"] == "<earlier@example.com>"
    assert parsed["References"] == "<first@example.com> <earlier@example.com>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Reply-To"].addresses[0].addr_spec == "support+abcdefghijklmnopqrst@example.com"
    assert parsed["Date"].datetime.isoformat() == "2026-11-23T10:00:00+00:00"


def test_human_mail_has_no_auto_submitted_or_threading_headers() -> None:
    raw, _ = composed(email_with(auto_submitted=None, in_reply_to=None, references=(), reply_to=None))
    names = set(top_level_header_names(raw))
    assert not names & {"auto-submitted", "x-auto-response-suppress", "in-reply-to", "references", "reply-to"}


def test_cyrillic_names_and_subject_are_encoded_and_read_back() -> None:
    raw, parsed = composed(
        email_with(from_name="Служба поддержки", to_name="Анна Иванова", subject="Ваш заказ №42 " * 10)
    )
    head = raw.split(b"\r\n\r\n", 1)[0]
    head.decode("ascii")  # every header is 7-bit: names and subject are RFC 2047-encoded
    assert parsed["To"].addresses[0] == Address("Анна Иванова", "anna", "example.org")
    assert parsed["From"].addresses[0].display_name == "Служба поддержки"
    assert parsed["Subject"] == ("Ваш заказ №42 " * 10).strip()
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))


def test_bodies_text_and_html_in_utf8() -> None:
    _, parsed = composed(email_with(text="Здравствуйте, Анна!\n", html="<p>Здравствуйте, Анна!</p>"))
    assert parsed.get_content_type() == "multipart/alternative"
    plain = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content().splitlines() == ["Здравствуйте, Анна!"]
    assert "Здравствуйте, Анна!" in html.get_content()


def test_text_only_mail_is_single_part() -> None:
    _, parsed = composed(email_with(html=None))
    assert parsed.get_content_type() == "text/plain"


def test_references_are_capped_to_the_newest_twenty() -> None:
    ids = tuple(f"m{n}@example.com" for n in range(30))
    _, parsed = composed(email_with(references=ids))
    assert parsed["References"].split() == [f"<m{n}@example.com>" for n in range(10, 30)]


def test_a_bad_recipient_address_is_refused() -> None:
    with pytest.raises(ValueError, match="not a mail address"):
        composed(email_with(to_address="anna@example.org\r\nBcc: x@y"))


def part_header_names(raw: bytes) -> list[str]:
    """Header names of every MIME part, read from the bytes as a mail client would."""
    parsed = message_from_bytes(raw, policy=policy.default)
    return [name.lower() for part in parsed.walk() for name in part]


@pytest.mark.parametrize("value", INJECTIONS)
def test_an_attachment_filename_never_creates_a_header(value: str) -> None:
    attachment = OutgoingAttachment(filename=f"{value}.pdf", content_type="application/pdf", data=b"%PDF-1.4")
    raw, parsed = composed(email_with(attachments=(attachment,)))

    assert_only_our_headers(raw)
    assert "bcc" not in part_header_names(raw)
    [part] = list(parsed.iter_attachments())
    name = part.get_filename()
    assert name is not None
    assert "\r" not in name
    assert "\n" not in name
    assert part.get_content() == b"%PDF-1.4"


def test_attachments_keep_their_bytes_type_and_name() -> None:
    files = (
        OutgoingAttachment("счёт.pdf", "application/pdf", b"%PDF-1.4 \x00\xff"),
        OutgoingAttachment("notes.txt", "text/plain", "привет".encode("cp1251")),
        OutgoingAttachment("evil.bin", "text/html\r\nBcc: x@y", b"<b>x</b>"),
        OutgoingAttachment("mail.eml", "message/rfc822", b"Subject: x\r\n\r\nbody"),
    )
    _, parsed = composed(email_with(attachments=files))

    parts = parsed.iter_attachments()
    got = [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in parts]
    assert got == [
        ("счёт.pdf", "application/pdf", b"%PDF-1.4 \x00\xff"),
        ("notes.txt", "text/plain", "привет".encode("cp1251")),
        ("evil.bin", "application/octet-stream", b"<b>x</b>"),
        ("mail.eml", "application/octet-stream", b"Subject: x\r\n\r\nbody"),
    ]
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == "Hello, Anna.\n"
    assert parsed.get_body(preferencelist=("html",)) is not None
