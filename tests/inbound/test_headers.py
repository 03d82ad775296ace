"""Header values: unfolded, 8-bit octets and RFC 2047 encoded words decoded leniently, kept in order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from inbound.headers import HeaderDecoder, decode_encoded_words
from inbound.parse import parse_mail

Load = Callable[[str], bytes]


def test_unknown_charset_and_split_or_broken_encoded_words(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("unknown-8bit-charset-and-split-encoded-words.eml"))

    assert mail.subject == "Привет, мир and кот =?utf-8?B?@@@?="
    assert mail.from_name == "Ёжик"
    assert mail.text == "Текст в UTF-8, но заявлен как unknown-8bit."
    assert "undecodable encoded word '=?utf-8?B?@@@?=' kept as it is" in mail.defects
    assert mail.date == datetime(2025, 3, 9, 13, 0, tzinfo=UTC)  # "-0000" read as UTC


def test_headers_are_decoded_in_order_and_found_case_insensitively(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("gmail-alternative-utf8-base64.eml"))

    names = [name for name, _ in mail.headers]
    assert names[:3] == ["Delivered-To", "Received", "Return-Path"]
    assert mail.header("SUBJECT") == "Re: Заказ №1234 — не пришёл"
    assert mail.header("cc") == "Мария <maria@example.org>, boss@Example.ORG"
    assert mail.header("X-Missing") is None
    assert mail.header_all("received")[0].startswith("by 2002:a05:6a10:1234 with SMTP id abc;")


def test_adjacent_encoded_words_join_even_when_a_character_is_split_between_them() -> None:
    defects: list[str] = []
    # "Привет" in utf-8 base64, cut in the middle of the second letter's two bytes
    value = "=?utf-8?B?0J/R?= =?utf-8?B?gNC40LLQtdGC?= world"
    assert decode_encoded_words(value, defects) == "Привет world"
    assert defects == []


def test_an_undecodable_encoded_word_is_kept_as_it_is_with_a_defect() -> None:
    defects: list[str] = []
    assert decode_encoded_words("a =?utf-8?B?@@@?= b", defects) == "a =?utf-8?B?@@@?= b"
    assert defects == ["undecodable encoded word '=?utf-8?B?@@@?=' kept as it is"]


def test_undeclared_8bit_headers_share_one_guessed_charset_and_lose_nul() -> None:
    raw = [
        value.encode("cp1251").decode("ascii", "surrogateescape")
        for value in ("Сергей", "Вход\x00 в кабинет")
    ]
    defects: list[str] = []
    decoder = HeaderDecoder(raw, defects)
    assert decoder.text("From", raw[0]) == "Сергей"
    assert decoder.text("Subject", "\r\n ".join(raw[1].split(" ", 1))) == "Вход в кабинет"
    assert "header From: undeclared 8-bit text read as cp1251" in defects
    assert "header Subject: NUL characters removed" in defects
