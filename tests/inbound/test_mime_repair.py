"""Multiparts whose declared boundary never appears are re-split on the delimiter actually used."""

from __future__ import annotations

from collections.abc import Callable
from email import policy
from email.parser import BytesParser

from inbound.mime_repair import repair_multiparts
from inbound.parse import parse_mail

Load = Callable[[str], bytes]


def test_broken_boundary_recovers_both_alternatives(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("broken-boundary-mismatch.eml"))

    assert mail.text == "The text part survives a wrong boundary."
    assert mail.html == "<p>The <b>HTML</b> part survives too.</p>"
    assert any("StartBoundaryNotFoundDefect" in defect for defect in mail.defects)


def test_multipart_without_any_delimiter_keeps_the_body_as_text() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=nowhere\r\n\r\n"
        b"Just text, no parts at all.\r\n"
    )
    mail = parse_mail(raw)
    assert "Just text, no parts at all." in mail.text
    assert mail.defects


def test_a_multipart_is_re_split_on_the_delimiter_actually_used_and_the_repair_noted() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=declared\r\n\r\n"
        b"--used\r\nContent-Type: text/plain\r\n\r\none\r\n"
        b"--used\r\nContent-Type: text/plain\r\n\r\ntwo\r\n--used--\r\n"
    )
    message = BytesParser(policy=policy.default).parsebytes(raw)
    defects: list[str] = []
    assert repair_multiparts(message, policy.default, defects)
    assert [part.get_payload().strip() for part in message.iter_parts()] == ["one", "two"]
    assert defects == ["multipart boundary did not match; parts recovered with 'used'"]


def test_a_sound_multipart_is_left_alone() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b--\r\n"
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert not repair_multiparts(message, policy.default, [])
