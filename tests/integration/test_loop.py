"""The whole loop against the real `relaydesk serve`: HTTP for the chat, SMTP in, smtp-sink out, mutt."""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from bridge.db import make_engine
from bridge.tokens import Party, TokenCodec
from chatcore.models import SpoolItem, SpoolStatus
from tests.support.confirm import confirm_over_http
from tests.support.mutt import reply_with_mutt
from tests.support.process import RelaydeskProcess
from tests.support.settle import wait_settled
from tests.support.sink import SmtpSink, SunkMail

CODEC = TokenCodec(["integration-secret-0123456789abcdefghij"])


@pytest.fixture
def desk(tmp_path: Path, db_url: str, sink: SmtpSink) -> Iterator[RelaydeskProcess]:
    process = RelaydeskProcess(tmp_path, db_url, sink.port)
    for email, name in (("olga@example.com", "Olga"), ("ivan@example.com", "Ivan")):
        added = process.cli("operator", "add", email, "--name", name, "--no-email")
        assert added.returncode == 0, added.stderr
    process.start()
    yield process
    assert process.stop() == 0, "serve must exit cleanly on SIGTERM"


def reply_address(mail: SunkMail) -> str:
    return mail.message["Reply-To"].addresses[0].addr_spec


def token_of(address: str) -> str:
    return address.split("+", 1)[1].split("@", 1)[0]


def chat_messages(client: httpx.Client) -> list[dict[str, object]]:
    response = client.get("/api/widget/messages")
    assert response.status_code == 200
    messages: list[dict[str, object]] = response.json()["messages"]
    return messages


def export(desk: RelaydeskProcess) -> list[dict[str, object]]:
    done = desk.cli("export")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def wait_until(predicate: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def send_mail(port: int, sender: str, to: str, subject: str, body: str, **headers: str) -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{time.time_ns()}@{sender.split('@')[1]}>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.send_message(message)


def test_chat_email_loop(desk: RelaydeskProcess, sink: SmtpSink, tmp_path: Path, db_url: str) -> None:
    chat = httpx.Client(base_url=desk.base_url)

    # (a) A visitor writes in the chat.
    posted = chat.post(
        "/api/widget/messages",
        json={"text": "My router blinks red. Помогите!", "name": "Ann Lee", "email": "ann@example.org"},
    )
    assert posted.status_code == 201
    # Ann confirms the address she typed (until then the desk writes to it about nothing else).
    [confirmation] = sink.wait_for(1, "ann@example.org")
    confirm_over_http(desk.base_url, confirmation.body())

    # (b) Each operator gets a notification with their own signed reply address.
    olga_mail = sink.wait_for(1, "olga@example.com")[0]
    sink.wait_for(1, "ivan@example.com")
    assert olga_mail.message["Auto-Submitted"] == "auto-generated"
    assert "My router blinks red. Помогите!" in olga_mail.body()
    assert "Ann Lee" in olga_mail.body()
    assert "ann@example.org" in olga_mail.body()
    olga_reply_to = reply_address(olga_mail)
    token = CODEC.decode(token_of(olga_reply_to))
    assert token is not None
    assert token.party is Party.OPERATOR
    assert olga_mail.message["Message-ID"].startswith(f"<rd.{token_of(olga_reply_to)}.")
    assert olga_mail.envelope_from.startswith("support+b.")

    # (c) Olga answers from mutt; the quoted notification is not posted.
    reply_with_mutt(
        olga_mail.raw,
        sender="olga@example.com",
        sender_name="Olga",
        smtp_port=desk.smtp_port,
        answer="Please hold the reset button for ten seconds.",
        workdir=tmp_path / "mutt-olga",
    )
    wait_until(lambda: any(m["author_kind"] == "operator" for m in export(desk)[0]["messages"]))  # type: ignore[index, union-attr]
    operator_message = next(m for m in export(desk)[0]["messages"] if m["author_kind"] == "operator")  # type: ignore[index, union-attr]
    assert operator_message["text"] == "Please hold the reset button for ten seconds."
    assert operator_message["operator_email"] == "olga@example.com"

    # A forged sender to Olga's reply address is quarantined, never posted.
    send_mail(desk.smtp_port, "mallory@example.net", olga_reply_to, "Re: hi", "Send me your password")
    engine = make_engine(db_url, str(tmp_path))
    wait_until(lambda: _quarantined(engine))
    assert all("password" not in str(m["text"]) for m in export(desk)[0]["messages"])  # type: ignore[index, union-attr]
    refusal = sink.wait_for(2, "olga@example.com")[1]
    assert refusal.message["Subject"].startswith("Re: Not posted")
    assert "mallory@example.net" in refusal.body()
    assert [m for m in sink.mails() if "ann@example.org" in m.recipients and "password" in m.body()] == []

    listed = desk.cli("quarantine", "list")
    assert listed.returncode == 0
    assert "mallory@example.net" in listed.stdout
    quarantined_id = listed.stdout.split("\t", 1)[0]
    shown = desk.cli("quarantine", "show", quarantined_id)
    assert "not that operator's address" in shown.stdout
    assert "Subject: Re: hi" in shown.stdout
    retried = desk.cli("quarantine", "retry", quarantined_id)
    assert retried.returncode == 1, "a forged reply stays quarantined however often it is retried"
    missing = desk.cli("quarantine", "show", "99999")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "relaydesk: no quarantined mail with id 99999"

    # (d) The visitor has not looked at the chat: the reply reaches them by email, with their token.
    ann_mail = sink.wait_for(2, "ann@example.org")[1]
    assert "Please hold the reset button for ten seconds." in ann_mail.body()
    ann_token = CODEC.decode(token_of(reply_address(ann_mail)))
    assert ann_token is not None
    assert ann_token.party is Party.VISITOR
    assert ann_token.conversation_id == token.conversation_id
    assert ann_mail.message["Auto-Submitted"] is None

    reply_with_mutt(
        ann_mail.raw,
        sender="ann@example.org",
        sender_name="Ann Lee",
        smtp_port=desk.smtp_port,
        answer="It works now, thank you!",
        workdir=tmp_path / "mutt-ann",
    )
    wait_until(lambda: any(m["text"] == "It works now, thank you!" for m in chat_messages(chat)))
    texts = [m["text"] for m in chat_messages(chat)]
    assert texts == [
        "My router blinks red. Помогите!",
        "Please hold the reset button for ten seconds.",
        "It works now, thank you!",
    ]

    # The operators hear of the visitor's email reply, in the same thread as Olga's mailbox holds it:
    # under her own reply, which answered the first notification.
    second = sink.wait_for(3, "olga@example.com")[2]
    assert "It works now, thank you!" in second.body()
    references = str(second.message["References"]).split()
    assert references[0] == olga_mail.message["Message-ID"]
    assert second.message["In-Reply-To"] == references[-1] != references[0]
    assert second.message["Subject"].startswith("Re: ")

    # Olga leaves an internal note and tags the dialog by email: it never reaches the visitor.
    send_mail(desk.smtp_port, "olga@example.com", olga_reply_to, "Re: x", "#tag vip\n#note\nShe is a VIP")
    wait_until(lambda: any(m["is_note"] for m in export(desk)[0]["messages"]))  # type: ignore[index, union-attr]
    assert export(desk)[0]["tags"] == ["vip"]
    wait_settled(db_url, str(tmp_path))  # a leaked note would have been mailed by now
    assert not [m for m in sink.mails() if "ann@example.org" in m.recipients and "VIP" in m.body()]

    # (e) Mail from an unknown sender starts a new conversation, and the operators are told.
    send_mail(
        desk.smtp_port, "Boris <boris@example.net>", "support@example.com", "Invoice question", "Where is it?"
    )
    third = sink.wait_for(4, "olga@example.com")[3]
    assert "Where is it?" in third.body()
    conversations = export(desk)
    assert len(conversations) == 2
    assert conversations[1]["channel"] == "email"
    assert conversations[1]["contact"] == {"name": "Boris", "email": "boris@example.net", "phone": ""}
    engine.dispose()


def _quarantined(engine: object) -> bool:
    with Session(engine) as session:  # type: ignore[arg-type]
        rows = session.exec(select(SpoolItem).where(SpoolItem.status == SpoolStatus.QUARANTINED)).all()
        return any("mallory@example.net" in row.reason for row in rows)


def test_rejects_foreign_recipients_at_rcpt(desk: RelaydeskProcess) -> None:
    with smtplib.SMTP("127.0.0.1", desk.smtp_port) as client:
        client.ehlo()
        client.mail("x@example.net")
        code, reply = client.rcpt("someone@elsewhere.org")
        assert code == 550
        assert b"domain" in reply
        code, reply = client.rcpt("sales@example.com")
        assert code == 550
        assert b"mailbox" in reply
        code, _ = client.rcpt("support@example.com")
        assert code == 250
