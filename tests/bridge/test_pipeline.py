"""Inbound mail through the worker: routed by token, Message-ID or sender; quarantined when not trusted."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bridge import pipeline
from bridge.context import Context
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from bridge.tokens import Party, Token
from chatcore.models import Contact, Conversation, Job, Message, SpoolItem
from chatcore.services import Desk
from inbound.limits import MailRejected, ParseLimits
from inbound.parse import ParsedMail, parse_mail
from tests.support.clock import ManualClock
from tests.support.factories import add_contact, add_operator

SUPPORT = "support@example.com"


@dataclass(frozen=True)
class Scene:
    conversation_id: int
    contact_id: int
    operator_id: int


@pytest.fixture
def scene(context: Context) -> Scene:
    with Session(context.engine) as session:
        now = context.clock.now()
        operator = add_operator(session, "olga@example.com", now=now, alternate_emails=["olga@home.example"])
        contact = add_contact(session, now=now, name="Anna", email="anna@example.org")
        conversation, _ = Desk(session, now).start_conversation(contact, "chat", "Order")
        made = Scene(conversation.id or 0, contact.id or 0, operator.id or 0)
        session.commit()
    return made


def mail(
    sender: str,
    to: str = SUPPORT,
    text: str = "Hello there",
    subject: str = "Question",
    message_id: str | None = None,
    **headers: str,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(ManualClock().now())
    message["Message-ID"] = message_id or make_msgid(domain="client.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes()


def deliver(context: Context, raw: bytes, key: str, envelope_to: list[str] | None = None) -> None:
    assert store_raw(context, key, raw, None, envelope_to or [])
    process_pending(context)


def messages(context: Context) -> list[Message]:
    with Session(context.engine) as session:
        return list(session.exec(select(Message).order_by(col(Message.id))))


def spool(context: Context, key: str) -> SpoolItem:
    with Session(context.engine) as session:
        return session.exec(select(SpoolItem).where(SpoolItem.source_key == key)).one()


def operator_address(context: Context, scene: Scene) -> str:
    return context.codec.reply_address(
        SUPPORT, Token(Party.OPERATOR, scene.conversation_id, scene.operator_id).stamped(context.clock.now())
    )


def test_operator_reply_from_their_address_posts_an_operator_message(context: Context, scene: Scene) -> None:
    body = "Your order ships today.\n\nOn Mon, Anna wrote:\n> Where is my order?\n"
    deliver(context, mail("Olga <olga@example.com>", operator_address(context, scene), body), "k1")

    [message] = messages(context)
    assert message.author_kind == "operator"
    assert message.operator_id == scene.operator_id
    assert message.conversation_id == scene.conversation_id
    assert message.source == "email"
    assert message.text == "Your order ships today."
    assert spool(context, "k1").status == "done"


def test_operator_reply_from_an_alternate_address_is_accepted(context: Context, scene: Scene) -> None:
    deliver(context, mail("olga@home.example", operator_address(context, scene)), "k1")
    assert [m.author_kind for m in messages(context)] == ["operator"]


def test_operator_token_from_another_address_is_quarantined(context: Context, scene: Scene) -> None:
    deliver(context, mail("mallory@evil.test", operator_address(context, scene), "Refund granted!"), "k1")

    assert messages(context) == []
    row = spool(context, "k1")
    assert row.status == "quarantined"
    assert "mallory@evil.test" in row.reason
    assert "not that operator's address" in row.reason


def test_a_tampered_operator_token_does_not_route_as_that_operator(context: Context, scene: Scene) -> None:
    address = operator_address(context, scene)
    local, domain = address.split("@")
    last = local[-3]
    tampered = f"{local[:-3]}{'a' if last != 'a' else 'b'}{local[-2:]}@{domain}"
    deliver(context, mail("olga@example.com", tampered, "Refund granted!"), "k1")

    assert messages(context) == []
    row = spool(context, "k1")
    assert row.status == "quarantined"
    assert row.reason.startswith(f"route: the reply address {tampered} carries a token that does not verify")


def test_a_tampered_token_is_quarantined_even_beside_a_valid_message_id(
    context: Context, scene: Scene
) -> None:
    ours = context.codec.message_id(
        Token(Party.OPERATOR, scene.conversation_id, scene.operator_id).stamped(context.clock.now()),
        "a",
        "example.com",
    )
    local, domain = operator_address(context, scene).split("@")
    tampered = f"{local[:-1]}{'a' if local[-1] != 'a' else 'b'}@{domain}"
    deliver(context, mail("olga@example.com", tampered, "Refund granted!", In_Reply_To=f"<{ours}>"), "k1")

    assert messages(context) == []
    assert spool(context, "k1").status == "quarantined"


def test_a_plus_part_that_is_no_token_starts_a_conversation(context: Context) -> None:
    deliver(context, mail("bob@example.net", "support+sales@example.com", "Prices?"), "k1")
    assert [m.author_kind for m in messages(context)] == ["visitor"]


def test_reply_with_only_our_message_id_routes(context: Context, scene: Scene) -> None:
    ours = context.codec.message_id(
        Token(Party.VISITOR, scene.conversation_id, scene.contact_id), "abc", "example.com"
    )
    deliver(context, mail("anna@example.org", SUPPORT, "Thanks!", In_Reply_To=f"<{ours}>"), "k1")

    [message] = messages(context)
    assert message.author_kind == "visitor"
    assert message.conversation_id == scene.conversation_id
    assert not message.from_other_address


def test_operator_token_in_message_id_still_checks_the_sender(context: Context, scene: Scene) -> None:
    ours = context.codec.message_id(
        Token(Party.OPERATOR, scene.conversation_id, scene.operator_id).stamped(context.clock.now()),
        "a",
        "example.com",
    )
    deliver(context, mail("mallory@evil.test", SUPPORT, "hi", References=f"<{ours}>"), "k1")
    assert messages(context) == []
    assert spool(context, "k1").status == "quarantined"


def test_a_stored_message_id_routes(context: Context) -> None:
    first_id = "first-1@client.example"
    deliver(context, mail("Bob <bob@example.net>", message_id=f"<{first_id}>", subject="Invoice"), "k1")
    deliver(
        context,
        mail("bob@example.net", text="One more thing", subject="Re: Invoice", References=f"<{first_id}>"),
        "k2",
    )

    first, second = messages(context)
    assert second.conversation_id == first.conversation_id
    assert second.verdicts["route"] == "stored Message-ID"


def test_an_unknown_sender_starts_an_email_conversation(context: Context) -> None:
    deliver(context, mail("Борис Петров <Boris@Example.NET>", subject="Счёт", text="Пришлите счёт"), "k1")

    [message] = messages(context)
    with Session(context.engine) as session:
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        contact = session.get(Contact, conversation.contact_id)
    assert contact is not None
    assert (contact.name, contact.email) == ("Борис Петров", "boris@example.net")
    assert (conversation.channel, conversation.subject, conversation.message_count) == ("email", "Счёт", 1)
    assert message.author_kind == "visitor"
    assert message.text == "Пришлите счёт"


def test_nul_characters_are_dropped_so_every_database_stores_the_mail(context: Context) -> None:
    raw = b"From: =?utf-8?Q?An=00na?= <anna@example.org>\r\nTo: support@example.com\r\n"
    raw += b"Subject: Or\x00der\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHel\x00lo\r\n"
    deliver(context, raw, "k1")

    [message] = messages(context)
    assert (message.text, spool(context, "k1").raw) == ("Hello", raw)
    with Session(context.engine) as session:
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        contact = session.get(Contact, conversation.contact_id)
    assert (conversation.subject, contact and contact.name) == ("Order", "Anna")


def test_an_empty_mail_is_quarantined_with_its_reason(context: Context) -> None:
    deliver(context, b"From: anna@example.org\r\nTo: support@example.com\r\nSubject:  \r\n\r\n \r\n", "k1")

    assert messages(context) == []
    item = spool(context, "k1")
    reason = "store: the mail has no text, subject or attachment to show"
    assert (item.status, item.reason) == ("quarantined", reason)


def test_a_visitor_reply_from_another_address_is_labelled(context: Context, scene: Scene) -> None:
    address = context.codec.reply_address(
        SUPPORT, Token(Party.VISITOR, scene.conversation_id, scene.contact_id)
    )
    deliver(context, mail("anna.work@example.org", address), "k1")

    [message] = messages(context)
    assert message.conversation_id == scene.conversation_id
    assert message.from_other_address
    assert message.from_address == "anna.work@example.org"


def test_the_same_mail_under_two_source_keys_gives_one_message(context: Context) -> None:
    raw = mail("bob@example.net")
    assert store_raw(context, "smtp:1", raw, "bob@example.net", [SUPPORT])
    assert store_raw(context, "imap:INBOX:1:7", raw, None, [])
    assert not store_raw(context, "smtp:1", raw, "bob@example.net", [SUPPORT])
    process_pending(context)

    assert len(messages(context)) == 1
    assert sorted([spool(context, "smtp:1").status, spool(context, "imap:INBOX:1:7").status]) == [
        "done",
        "duplicate",
    ]


def test_auto_replies_are_stored_but_notify_nobody(context: Context, scene: Scene) -> None:
    deliver(context, mail("bob@example.net", text="I am on holiday", Auto_Submitted="auto-replied"), "k1")

    [message] = messages(context)
    assert message.text == "I am on holiday"
    assert message.verdicts["classification"] != "human"
    with Session(context.engine) as session:
        assert session.exec(select(Job)).all() == []


def test_a_human_mail_schedules_a_notification(context: Context, scene: Scene) -> None:
    deliver(context, mail("bob@example.net"), "k1")
    with Session(context.engine) as session:
        assert [job.kind for job in session.exec(select(Job))] == ["notify_operator"]


def test_a_rejected_mail_is_quarantined_and_the_worker_goes_on(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    def picky_parser(raw: bytes, limits: ParseLimits | None = None) -> ParsedMail:
        if b"X-Poison" in raw:
            raise MailRejected("too many MIME parts")
        if b"X-Crash" in raw:
            raise RuntimeError("parser bug")
        return parse_mail(raw, limits)

    monkeypatch.setattr(pipeline, "parse_mail", picky_parser)
    assert store_raw(context, "bad", mail("bob@example.net", X_Poison="1"), None, [])
    assert store_raw(context, "crash", mail("carl@example.net", X_Crash="1"), None, [])
    assert store_raw(context, "good", mail("dora@example.net", text="I am fine"), None, [])
    assert process_pending(context) == 3

    assert [m.text for m in messages(context)] == ["I am fine"]
    bad, crash = spool(context, "bad"), spool(context, "crash")
    assert (bad.status, bad.reason) == ("quarantined", "parse: too many MIME parts")
    assert crash.status == "quarantined"
    assert "parser bug" in crash.reason
    assert b"X-Poison: 1" in bad.raw  # the raw bytes are kept for a later retry
    assert process_pending(context) == 0


def test_a_mail_that_fails_after_posting_leaves_nothing_behind_for_the_next(
    context: Context, scene: Scene, tmp_path: Path
) -> None:
    """Mails are processed in batches, each in a savepoint: what a failed mail did to its conversation
    (here: reopened it) is taken back, and the next mail of the same batch sees the conversation as it is."""
    with Session(context.engine) as session:
        conversation = session.get(Conversation, scene.conversation_id)
        assert conversation is not None
        Desk(session, context.clock.now()).close(conversation)
        session.commit()
    (tmp_path / "files").write_text("not a folder")  # the attachment of the first mail cannot be stored
    token = Token(Party.VISITOR, scene.conversation_id, scene.contact_id)
    address = context.codec.reply_address(SUPPORT, token)
    with_file = EmailMessage()
    with_file["From"], with_file["To"], with_file["Subject"] = "anna@example.org", address, "Invoice"
    with_file.set_content("Here it is")
    with_file.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="invoice.pdf")
    assert store_raw(context, "k1", with_file.as_bytes(), None, [])
    assert store_raw(context, "k2", mail("anna@example.org", address, "Are you there?"), None, [])

    assert process_pending(context) == 2

    assert spool(context, "k1").status == "quarantined"
    assert [m.text for m in messages(context)] == ["Are you there?"]
    with Session(context.engine) as session:
        conversation = session.get(Conversation, scene.conversation_id)
        assert conversation is not None
        assert (conversation.status, conversation.message_count) == ("open", 1)
