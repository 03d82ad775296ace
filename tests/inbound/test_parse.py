from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from inbound.parse import MailRejected, ParseLimits, parse_mail, resolve_cid

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


def test_outlook_cp1251_quoted_printable_with_cid_image_and_encoded_filename(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("outlook-related-cid-image-cp1251-qp.eml"))

    assert mail.subject == "Договор и скан"
    assert mail.from_name == "Ольга Смирнова"
    assert mail.text.startswith("Добрый день,\nприкладываю скан и договор.")
    assert mail.html is not None
    assert 'src="cid:image001.png@01DB8C2E.5A1B2C30"' in mail.html
    assert "MsoNormal{" not in mail.html  # the <style> block is gone
    image, document = mail.attachments
    assert (image.filename, image.content_type, image.inline) == ("image001.png", "image/png", True)
    assert image.content_id == "image001.png@01DB8C2E.5A1B2C30"
    assert image.data.startswith(b"\x89PNG")
    assert document.filename == "Договор №5.docx"
    assert (document.inline, document.data) == (False, b"PK fake docx")


def test_thunderbird_koi8r_body_windows1251_subject_and_rfc2231_filename(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("thunderbird-koi8r-8bit-rfc2231-filename.eml"))

    assert mail.subject == "Счёт за март"
    assert mail.from_name == "Пётр Сидоров"
    assert mail.text == "Добрый вечер!\n\nВо вложении счёт за март.\nС уважением,\nПётр"
    (invoice,) = mail.attachments
    assert invoice.filename == "Счёт-фактура март.pdf"
    assert invoice.content_type == "application/pdf"
    assert invoice.sha256 == hashlib.sha256(b"%PDF-1.4 fake").hexdigest()


def test_apple_mail_prefers_plain_part_and_keeps_inline_image(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("apple-alternative-related-inline-image.eml"))

    assert mail.subject == "Re: Скриншот"
    assert mail.text == "Смотрите скриншот:\n\n> Пришлите, пожалуйста, скриншот."
    (image,) = mail.attachments
    assert image.inline
    assert image.filename == "screen.png"
    assert image.content_id == "F3A1C2D4-5B6E-4F70-8192-A3B4C5D6E7F8"
    assert mail.html is not None
    assert f'src="cid:{image.content_id}"' in mail.html
    assert "apple-inline" not in mail.html


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


def test_unknown_charset_and_split_or_broken_encoded_words(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("unknown-8bit-charset-and-split-encoded-words.eml"))

    assert mail.subject == "Привет, мир and кот =?utf-8?B?@@@?="
    assert mail.from_name == "Ёжик"
    assert mail.text == "Текст в UTF-8, но заявлен как unknown-8bit."
    assert "undecodable encoded word '=?utf-8?B?@@@?=' kept as it is" in mail.defects
    assert mail.date == datetime(2025, 3, 9, 13, 0, tzinfo=UTC)  # "-0000" read as UTC


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


def test_dsn_parts_become_attachments(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("postfix-dsn-bounce.eml"))

    assert "could not\nbe delivered" in mail.text
    types = [attachment.content_type for attachment in mail.attachments]
    assert types == ["message/delivery-status", "text/rfc822-headers"]
    assert b"Final-Recipient: rfc822; Nobody@customer.example" in mail.attachments[0].data


def test_headers_are_decoded_in_order_and_found_case_insensitively(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("gmail-alternative-utf8-base64.eml"))

    names = [name for name, _ in mail.headers]
    assert names[:3] == ["Delivered-To", "Received", "Return-Path"]
    assert mail.header("SUBJECT") == "Re: Заказ №1234 — не пришёл"
    assert mail.header("cc") == "Мария <maria@example.org>, boss@Example.ORG"
    assert mail.header("X-Missing") is None
    assert mail.header_all("received")[0].startswith("by 2002:a05:6a10:1234 with SMTP id abc;")


def test_attached_message_is_one_attachment_not_body_text() -> None:
    inner = b"From: x@example.com\r\nSubject: inner\r\n\r\nInner body.\r\n"
    raw = (
        b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nOuter body.\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"--b--\r\n"
    )
    mail = parse_mail(raw)
    assert mail.text == "Outer body."
    (forwarded,) = mail.attachments
    assert forwarded.content_type == "message/rfc822"
    assert b"Inner body." in forwarded.data
    assert b"Subject: inner" in forwarded.data


def test_unparseable_from_leaves_empty_address_and_keeps_name() -> None:
    mail = parse_mail(b"From: Nobody Here\r\nSubject: s\r\n\r\nbody\r\n")
    assert mail.from_address == ""
    assert mail.from_name == "Nobody Here"


def test_bad_date_is_none_with_a_defect() -> None:
    mail = parse_mail(b"From: a@example.com\r\nDate: the day after tomorrow\r\n\r\nbody\r\n")
    assert mail.date is None
    assert any("Date" in defect for defect in mail.defects)


def test_parsed_mail_is_frozen(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("gmail-alternative-utf8-base64.eml"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        mail.subject = "changed"  # type: ignore[misc]


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


def test_resolve_cid_rewrites_known_images_and_drops_unknown_ones() -> None:
    html = '<p><img src="cid:a%40b"><img alt="x" src="cid:missing"><img src="https://e.com/i.png"></p>'
    urls = {"a@b": "/files/abc?x=1&y=2"}

    resolved = resolve_cid(html, urls.get)

    assert '<img src="/files/abc?x=1&amp;y=2">' in resolved
    assert '<img alt="x" src="">' in resolved
    assert '<img src="https://e.com/i.png">' in resolved
