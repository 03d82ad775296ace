"""Our mail carries a DKIM signature that a receiver verifies, and that breaks when a header is changed."""

from __future__ import annotations

import re
from pathlib import Path

import dkim
import pytest

from outbound.compose import compose
from outbound.dkim import DkimKeyError, DkimSigner
from tests.outbound.support import email_with
from tests.support.dkim_keys import DkimKey, dns_serving, make_key


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> DkimKey:
    return make_key(tmp_path_factory.mktemp("dkim"))


def signed(key: DkimKey, **changes: object) -> bytes:
    return DkimSigner("example.com", "rd2026", key.private_pem).sign(compose(email_with(**changes)))


def dns(key: DkimKey) -> object:
    return dns_serving({"rd2026._domainkey.example.com": key})


def test_a_signed_mail_verifies_with_the_published_key(key: DkimKey) -> None:
    raw = signed(key, subject="Ваш заказ отправлен")

    assert raw.startswith(b"DKIM-Signature:")
    assert dkim.verify(raw, dnsfunc=dns(key))
    header = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert "c=relaxed/relaxed" in header
    assert "a=rsa-sha256" in header
    assert "d=example.com" in header
    assert "s=rd2026" in header
    signed_names = re.search(r"h=([^;]+);", re.sub(r"\r\n\s+", "", header))
    assert signed_names is not None
    names = {name.strip().lower() for name in signed_names.group(1).split(":")}
    assert {"from", "to", "subject", "date", "message-id", "in-reply-to", "references", "reply-to"} <= names
    assert {"mime-version", "content-type"} <= names


@pytest.mark.parametrize(
    ("header", "forged"),
    [
        (b"Subject: Your order", b"Subject: Your refund"),
        (b"To: Anna <anna@example.org>", b"To: Anna <mallory@example.net>"),
        (b"From: Support <support@example.com>", b"From: Support <billing@example.com>"),
    ],
)
def test_changing_a_signed_header_breaks_the_signature(key: DkimKey, header: bytes, forged: bytes) -> None:
    raw = signed(key)
    assert header in raw
    assert not dkim.verify(raw.replace(header, forged, 1), dnsfunc=dns(key))


def test_changing_the_body_breaks_the_signature(key: DkimKey) -> None:
    raw = signed(key)
    assert not dkim.verify(raw.replace(b"Hello, Anna.", b"Hello, Mark.", 1), dnsfunc=dns(key))


def test_another_key_in_dns_does_not_verify(key: DkimKey, tmp_path: Path) -> None:
    other = make_key(tmp_path)
    assert not dkim.verify(signed(key), dnsfunc=dns(other))


def test_a_mail_without_threading_headers_is_signed_too(key: DkimKey) -> None:
    raw = signed(key, in_reply_to=None, references=(), reply_to=None, html=None)
    assert dkim.verify(raw, dnsfunc=dns(key))


NOT_A_KEY = b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"


def test_a_file_that_is_not_a_key_is_refused() -> None:
    with pytest.raises(DkimKeyError):
        DkimSigner("example.com", "rd2026", NOT_A_KEY)
