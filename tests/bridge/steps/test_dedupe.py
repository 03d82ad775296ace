"""The dedupe step: the same mail by SMTP retry, IMAP re-fetch or both paths is stored once."""

from __future__ import annotations

from email.message import EmailMessage

from sqlmodel import Session

from bridge.context import Context
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from bridge.steps.dedupe import content_digest
from bridge.steps.parse import parse
from tests.bridge.pipeline_scene import (
    SUPPORT,
    deliver,
    item_of,
    mail,
    messages,
    spool,
)


def test_the_same_text_under_another_message_id_is_another_mail(context: Context) -> None:
    deliver(context, mail("bob@example.net", text="Ping", message_id="<one@client.example>"), "k1")
    deliver(context, mail("bob@example.net", text="Ping", message_id="<two@client.example>"), "k2")
    assert [m.text for m in messages(context)] == ["Ping", "Ping"]
    assert spool(context, "k2").status == "done"


def test_the_digest_covers_the_text_and_the_files(context: Context) -> None:
    with_file = EmailMessage()
    with_file["From"], with_file["Subject"], with_file["Message-ID"] = "bob@example.net", "s", "<m@x>"
    with_file.set_content("Here")
    plain = with_file.as_bytes()
    with_file.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="a.pdf")
    with Session(context.engine) as session:
        digests = [parse(item_of(raw), session, context).mail for raw in (plain, with_file.as_bytes())]
    assert digests[0] is not None
    assert digests[1] is not None
    assert content_digest(digests[0]) != content_digest(digests[1])
    assert content_digest(digests[0]) == content_digest(digests[0])


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
