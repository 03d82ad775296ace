"""Charsets: what the sender declared is checked against the bytes; undeclared or mislabelled Cyrillic
is told apart."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inbound.charsets import codec_for, decode_bytes
from inbound.parse import parse_mail

Load = Callable[[str], bytes]


def test_undeclared_cp1251_headers_and_body_are_detected(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("cp1251-undeclared-8bit-headers-and-body.eml"))

    assert mail.from_name == "Сергей Козлов"
    assert mail.subject == "Не работает вход в личный кабинет"
    assert mail.text.startswith("Здравствуйте, не могу войти в личный кабинет")
    assert "text/plain body: undeclared 8-bit text read as cp1251" in mail.defects


def test_cp1251_body_mislabelled_as_koi8r_is_read_as_cp1251(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("koi8r-declared-but-cp1251-body.eml"))

    assert mail.subject == "Вопрос по оплате"  # a correct koi8-r subject stays koi8-r
    assert mail.text.startswith("Добрый день! Оплатил заказ картой, но статус до сих пор «не оплачен».")
    assert any("'koi8-r' did not fit" in defect for defect in mail.defects)


def test_correct_koi8r_declaration_is_trusted() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=koi8-r\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + "Привет, как дела? Всё хорошо.".encode("koi8-r")
    )
    mail = parse_mail(raw)
    assert mail.text == "Привет, как дела? Всё хорошо."
    assert mail.defects == ()


RUSSIAN = "Добрый день! Оплатил заказ, но статус не изменился."


@pytest.mark.parametrize("codec", ["cp1251", "koi8-r", "utf-8"])
def test_undeclared_russian_is_read_in_its_own_charset(codec: str) -> None:
    text, note = decode_bytes(RUSSIAN.encode(codec), None)
    assert text == RUSSIAN
    assert note == f"undeclared 8-bit text read as {codec}"


def test_a_clearly_wrong_cyrillic_declaration_is_overridden_and_noted() -> None:
    text, note = decode_bytes(RUSSIAN.encode("cp1251"), "koi8-r")
    assert text == RUSSIAN
    assert note == "charset 'koi8-r' did not fit the bytes; read as cp1251"


def test_a_non_cyrillic_declaration_that_fits_is_trusted() -> None:
    assert decode_bytes("Grüße".encode("latin-1"), "ISO-8859-1") == ("Grüße", None)


@pytest.mark.parametrize(
    "declared", [None, "", "us-ascii", "unknown-8bit", "idna", "no such charset", "x" * 80]
)
def test_undeclared_unusable_or_unsafe_charsets_name_no_codec(declared: str | None) -> None:
    assert codec_for(declared) is None


def test_declared_names_are_normalised() -> None:
    assert codec_for(' "Windows-1251" ') == "cp1251"
    assert codec_for("utf-8*ru") == "utf-8"  # an RFC 2231 language suffix
