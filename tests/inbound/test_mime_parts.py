"""The parts of a mail sorted into body text and attachments: files, inline images, attached messages
and reports."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from email import policy
from email.parser import BytesParser

from inbound.headers import HeaderDecoder
from inbound.mime_parts import Body, add_leaf, leaves
from inbound.parse import parse_mail

Load = Callable[[str], bytes]


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


def test_dsn_parts_become_attachments(mail_bytes: Load) -> None:
    mail = parse_mail(mail_bytes("postfix-dsn-bounce.eml"))

    assert "could not\nbe delivered" in mail.text
    types = [attachment.content_type for attachment in mail.attachments]
    assert types == ["message/delivery-status", "text/rfc822-headers"]
    assert b"Final-Recipient: rfc822; Nobody@customer.example" in mail.attachments[0].data


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


def test_a_file_without_a_name_gets_one_from_its_type_and_a_control_character_free_name_otherwise() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--b\r\nContent-Type: application/vnd.ms-excel\r\nContent-Disposition: attachment\r\n\r\nxls\r\n"
        b"--b\r\nContent-Type: text/csv\r\n"
        b'Content-Disposition: attachment; filename="..\\\\dir\\\\a\tb.csv"\r\n'
        b"\r\n1,2\r\n--b--\r\n"
    )
    message = BytesParser(policy=policy.default).parsebytes(raw)
    body = Body()
    for leaf in leaves(message):
        add_leaf(leaf, body, HeaderDecoder([], []), [])
    assert body.plain == ["See attached."]
    assert [a.filename for a in body.attachments] == ["attachment-1.vndmsexcel", "ab.csv"]
