"""Files in the mail the desk sends and receives: visitor links, small files attached, operator replies."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge.app import build_web_app
from bridge.blobs import BlobStore
from bridge.context import Context
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from bridge.tokens import Party, Token
from chatcore.events import Event
from chatcore.files import NewAttachment
from chatcore.models import Attachment, Conversation, Message, Operator, Source
from chatcore.services import Desk, NewMessage
from tests.support.clock import ManualClock
from tests.support.factories import add_contact, add_operator
from tests.support.mail import SentMail, act, recipient, text_of

MAIL = Path(__file__).resolve().parents[1] / "data" / "mail"
SUPPORT = "support@example.com"
PDF = b"%PDF-1.4\n% invoice\n%%EOF\n"


@pytest.fixture
def outbox(context: Context, tmp_path: Path) -> SentMail:
    return SentMail(context, tmp_path / "sent")


def begin(context: Context, channel: str = Source.EMAIL, language: str | None = None) -> tuple[int, int]:
    def change(session: Session) -> tuple[tuple[int, int], list[Event]]:
        now = context.clock.now()
        olga = add_operator(session, "olga@example.com", now=now, name="Ольга")
        contact = add_contact(session, now=now, name="Анна", email="anna@example.org")
        contact.language = language
        conversation, events = Desk(session, now).start_conversation(contact, channel, "Счёт")
        return (conversation.id or 0, olga.id or 0), events

    return act(context, change)


def operator_sends(context: Context, conversation_id: int, operator_id: int, files: dict[str, bytes]) -> None:
    blobs = BlobStore(context.settings.path(context.settings.uploads.dir))
    stored = tuple(
        NewAttachment(blobs.put(data), name, "application/pdf", len(data)) for name, data in files.items()
    )

    def change(session: Session) -> tuple[None, list[Event]]:
        desk = Desk(session, context.clock.now())
        operator = session.get(Operator, operator_id)
        assert operator is not None
        new = NewMessage(text="Here it is.", source=Source.WEB, attachments=stored)
        return None, desk.post_operator_message(desk.get_conversation(conversation_id), operator, new)

    act(context, change)


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def test_the_visitor_email_links_the_file_and_attaches_it_when_small(
    context: Context, outbox: SentMail
) -> None:
    conversation_id, olga = begin(context)
    operator_sends(context, conversation_id, olga, {"счёт 7.pdf": PDF})

    [mail] = outbox.tick()

    assert recipient(mail) == "anna@example.org"
    [url] = re.findall(r"http://desk\.test/files/\d+/[A-Za-z0-9_-]+", text_of(mail))
    assert "File: счёт 7.pdf (25 B)" in text_of(mail)
    assert f'<a href="{url}">счёт 7.pdf</a>' in html_of(mail)
    [attached] = list(mail.iter_attachments())
    assert attached.get_filename() == "счёт 7.pdf"
    assert attached.get_payload(decode=True) == PDF
    with TestClient(build_web_app(context), base_url="http://desk.test") as web:
        got = web.get(url)
    assert got.status_code == 200
    assert got.content == PDF


def test_a_file_over_the_attach_limit_is_only_linked(context: Context, outbox: SentMail) -> None:
    conversation_id, olga = begin(context)
    big = b"%PDF-1.4\n" + b"0" * context.settings.uploads.email_attach_max
    operator_sends(context, conversation_id, olga, {"big.pdf": big, "small.pdf": PDF})

    [mail] = outbox.tick()

    assert len(re.findall(r"http://desk\.test/files/\d+/", text_of(mail))) == 2
    assert [p.get_filename() for p in mail.iter_attachments()] == ["small.pdf"]


def test_the_russian_visitor_email_lists_files_in_russian(context: Context, outbox: SentMail) -> None:
    conversation_id, olga = begin(context, language="ru")
    operator_sends(context, conversation_id, olga, {"отчёт.pdf": b"x" * 1536})

    [mail] = outbox.tick()

    assert "Файл: отчёт.pdf (1,5 КБ)" in text_of(mail)
    assert "1,5 КБ" in html_of(mail)


def test_encoded_cr_lf_in_a_filename_makes_no_header_in_the_visitor_email(
    context: Context, outbox: SentMail
) -> None:
    conversation_id, olga = begin(context)
    operator_sends(context, conversation_id, olga, {"=?utf-8?q?a=0D=0AX-Injected:_yes?=.pdf": PDF})

    [mail] = outbox.tick()

    for part in mail.walk():
        assert "x-injected" not in {name.lower() for name in part}
    [attached] = list(mail.iter_attachments())
    name = attached.get_filename()
    assert name is not None
    assert "\n" not in name
    assert "\r" not in name
    assert attached.get_payload(decode=True) == PDF


def test_files_from_a_visitor_email_are_named_in_the_operator_notification(
    context: Context, clock: ManualClock, outbox: SentMail
) -> None:
    with Session(context.engine) as session:
        add_operator(session, "olga@example.com", now=clock.now(), name="Olga")
        session.commit()
    raw = (MAIL / "thunderbird-pdf-and-inline-cid-image.eml").read_bytes()
    assert store_raw(context, "k1", raw, None, [SUPPORT])
    process_pending(context)
    clock.advance(minutes=3)

    [mail] = outbox.tick()

    with Session(context.engine) as session:
        pdf = session.exec(select(Attachment).where(Attachment.filename == "счёт-1024.pdf")).one()
        message = session.get(Message, pdf.message_id)
        assert message is not None
    dialog = f"http://desk.test/inbox/{message.conversation_id}"
    assert recipient(mail) == "olga@example.com"
    assert "File: счёт-1024.pdf (142 B)" in text_of(mail)
    assert f"{dialog}#f{pdf.id}" in text_of(mail)
    assert f'<a href="{dialog}#f{pdf.id}">счёт-1024.pdf</a>' in html_of(mail)
    assert "/files/" not in text_of(mail), "operators open files in the inbox, behind their session"
    assert list(mail.iter_attachments()) == []


def operator_reply(context: Context, conversation_id: int, operator_id: int, text: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Ольга <olga@example.com>"
    token = Token(Party.OPERATOR, conversation_id, operator_id).stamped(context.clock.now())
    mail["To"] = context.codec.reply_address(SUPPORT, token)
    mail["Subject"] = "Re: Счёт"
    mail["Date"] = format_datetime(ManualClock().now())
    mail["Message-ID"] = make_msgid(domain="mail.example.com")
    mail.set_content(text)
    return mail


def deliver(context: Context, mail: EmailMessage, key: str) -> None:
    assert store_raw(context, key, mail.as_bytes(), None, [str(mail["To"])])
    process_pending(context)


def test_files_in_an_operator_email_reply_come_along_to_the_visitor(
    context: Context, outbox: SentMail
) -> None:
    conversation_id, olga = begin(context)
    reply = operator_reply(context, conversation_id, olga, "The invoice is attached.")
    reply.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice-7.pdf")
    deliver(context, reply, "r1")

    with Session(context.engine) as session:
        [message] = session.exec(select(Message)).all()
        [attachment] = session.exec(select(Attachment)).all()
    assert (message.author_kind, message.text) == ("operator", "The invoice is attached.")
    assert (attachment.message_id, attachment.filename, attachment.size) == (message.id, "invoice-7.pdf", 25)
    [mail] = outbox.tick()
    assert recipient(mail) == "anna@example.org"
    assert "invoice-7.pdf" in text_of(mail)
    assert [p.get_payload(decode=True) for p in mail.iter_attachments()] == [PDF]


def test_an_operator_email_with_only_a_file_posts_the_file(context: Context) -> None:
    conversation_id, olga = begin(context)
    reply = operator_reply(context, conversation_id, olga, "")
    reply.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice-7.pdf")
    deliver(context, reply, "r1")

    with Session(context.engine) as session:
        [message] = session.exec(select(Message)).all()
        assert message.text == ""
        assert [a.filename for a in session.exec(select(Attachment))] == ["invoice-7.pdf"]


def test_a_command_with_only_a_signature_logo_posts_nothing(context: Context) -> None:
    conversation_id, olga = begin(context)
    reply = operator_reply(context, conversation_id, olga, "#close")
    reply.add_related(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", cid="<logo@mail.example.com>")
    deliver(context, reply, "r1")

    with Session(context.engine) as session:
        assert session.exec(select(Message)).all() == []
        assert session.exec(select(Attachment)).all() == []
        assert session.exec(select(Conversation)).one().status == "closed"
