"""Whole mails through parse_mail: real clients' mail assembled into one frozen ParsedMail."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from inbound.parse import parse_mail

Load = Callable[[str], bytes]


def test_gmail_reply_gives_addresses_threading_and_russian_text(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("gmail-alternative-utf8-base64.eml"))

    assert mail.message_id == "CAF1x2y3z4QkYg+abc=DEF@mail.gmail.com"
    assert mail.in_reply_to == ("rd.bbbb2222@example.com",)
    assert mail.references == ("rd.aaaa1111@example.com", "rd.bbbb2222@example.com")
    assert (mail.from_address, mail.from_name) == ("ivan.petrov@gmail.com", "Иван Петров")
    assert mail.to == ("support+abcd2345@example.com",)
    assert mail.cc == ("maria@example.org", "boss@example.org")
    assert mail.delivered_to == ("support@example.com",)
    assert mail.subject == "Re: Заказ №1234 — не пришёл"
    assert mail.date == datetime(2025, 3, 3, 18, 15, 1, tzinfo=UTC)
    assert "Заказ так и не пришёл. Hello from Gmail." in mail.text
    assert mail.html is not None
    assert "<div>Заказ так и не пришёл" in mail.html
    assert mail.defects == ()


def test_missing_content_type_is_read_as_text(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("missing-content-type-utf8-body.eml"))

    assert mail.text == "Письмо без Content-Type, но в UTF-8."
    assert mail.from_name == "Ольга"
    assert "missing Content-Type header; body read as text" in mail.defects


def test_html_only_mail_gets_plain_text_and_sanitized_html(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("html-only-hostile.eml"))

    assert mail.text == "Hello friend.\n\nVisit our help page [https://example.com/help]."
    assert mail.html is not None
    for hostile in ("<script", "onerror", "onload", "javascript:", "<iframe", "<form", "alert("):
        assert hostile not in mail.html


def test_parsed_mail_is_frozen(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("gmail-alternative-utf8-base64.eml"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        mail.subject = "changed"  # type: ignore[misc]
