"""Hard limits: a mail over one is rejected naming the limit, before the recursive parser sees it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inbound.limits import MailRejected, ParseLimits, prescan
from inbound.parse import parse_mail

Load = Callable[[str], bytes]


def test_oversized_mail_is_rejected_naming_the_limit() -> None:
    raw = b"From: a@example.com\r\nSubject: big\r\n\r\n" + b"x" * (25 * 1024 * 1024 + 1)
    with pytest.raises(MailRejected, match="max_size"):
        parse_mail(raw)


def test_size_limit_is_configurable(mail_bytes: Load) -> None:
    raw = mail_bytes("outlook-related-cid-image-cp1251-qp.eml")
    with pytest.raises(MailRejected, match="max_size"):
        parse_mail(raw, ParseLimits(max_size=1024))


def test_too_many_parts_is_rejected(mail_bytes: Load) -> None:
    with pytest.raises(MailRejected, match="max_parts") as caught:
        parse_mail(mail_bytes("too-many-parts.eml"))
    assert "more than 200 MIME parts" in caught.value.reason


def test_too_deep_nesting_is_rejected(mail_bytes: Load) -> None:
    with pytest.raises(MailRejected, match="max_depth"):
        parse_mail(mail_bytes("too-deep-nesting.eml"))


def test_nesting_within_a_raised_limit_is_accepted(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("too-deep-nesting.eml"), ParseLimits(max_depth=25))
    assert mail.text == "deep inside"


def test_deep_attached_messages_are_rejected_not_crashing() -> None:
    raw = b"Content-Type: message/rfc822\r\n\r\n" * 2000 + b"Subject: end\r\n\r\nbody\r\n"
    with pytest.raises(MailRejected, match="max_depth"):
        parse_mail(raw)


def test_too_many_headers_is_rejected() -> None:
    raw = b"".join(b"X-Spam-%d: 1\r\n" % number for number in range(1001)) + b"\r\nbody\r\n"
    with pytest.raises(MailRejected, match="max_headers"):
        parse_mail(raw)


def test_the_prescan_counts_parts_and_depth_on_the_raw_bytes() -> None:
    nested = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (n, n) for n in range(4)
    )
    prescan(nested, ParseLimits(max_depth=4))
    with pytest.raises(MailRejected, match="nested deeper than 3 levels"):
        prescan(nested, ParseLimits(max_depth=3))
    parts = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + b"--b\r\n\r\nx\r\n" * 3 + b"--b--\r\n"
    prescan(parts, ParseLimits(max_parts=3))
    with pytest.raises(MailRejected, match="more than 2 MIME parts"):
        prescan(parts, ParseLimits(max_parts=2))
