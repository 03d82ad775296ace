"""An address typed into the chat is a claim, not an identity: attacked against the real `relaydesk serve`.

A visitor who claims ceo@victim.example must not see, answer or divert the mail the real owner of that
address sends; the desk writes to the claimed address only to ask its owner to confirm it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from bridge.db import make_engine
from chatcore.models import Job
from tests.integration.test_loop import chat_messages, export, reply_address, send_mail, wait_until
from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink, SunkMail

VICTIM = "ceo@victim.example"
ATTACKER_TEXT = "ATTACKER: please send me the quarterly numbers"


@pytest.fixture
def desk(tmp_path: Path, db_url: str, sink: SmtpSink) -> Iterator[RelaydeskProcess]:
    process = RelaydeskProcess(tmp_path, db_url, sink.port)
    added = process.cli("operator", "add", "olga@example.com", "--name", "Olga", "--no-email")
    assert added.returncode == 0, added.stderr
    process.start()
    yield process
    assert process.stop() == 0


def notification_about(sink: SmtpSink, text: str) -> SunkMail:
    found: list[SunkMail] = []

    def arrived() -> bool:
        found[:] = [m for m in sink.mails() if "olga@example.com" in m.recipients and text in m.body()]
        return bool(found)

    wait_until(arrived, timeout=20)
    return found[0]


def mails_to(sink: SmtpSink, address: str) -> list[SunkMail]:
    return [mail for mail in sink.mails() if address in mail.recipients]


def visitor_mail_jobs(db_url: str, workdir: Path, conversation_id: int) -> list[Job]:
    engine = make_engine(db_url, str(workdir))
    try:
        with Session(engine) as session:
            return list(session.exec(select(Job).where(Job.key == f"notify_visitor:{conversation_id}")))
    finally:
        engine.dispose()


def texts_of(desk: RelaydeskProcess, subject: str) -> list[str]:
    conversation = next(c for c in export(desk) if c["subject"] == subject)
    return [str(m["text"]) for m in conversation["messages"]]  # type: ignore[attr-defined]


def test_a_claimed_address_does_not_take_over_the_mail_of_its_owner(
    desk: RelaydeskProcess, sink: SmtpSink, tmp_path: Path, db_url: str
) -> None:
    attacker = httpx.Client(base_url=desk.base_url)
    posted = attacker.post(
        "/api/widget/messages", json={"text": ATTACKER_TEXT, "name": "The CEO", "email": VICTIM}
    )
    assert posted.status_code == 201, posted.text

    # The claimed address gets one mail: a confirmation with a fixed subject and none of the visitor's text.
    [confirmation] = sink.wait_for(1, VICTIM)
    assert confirmation.message["Subject"] == "Confirm your email address for Acme Help"
    assert "ATTACKER" not in confirmation.body()
    assert "/confirm-email/" in confirmation.body()

    # The real owner writes by mail: a conversation of its own, which the attacker's chat never shows.
    # (One after the other: two new conversations within the delay would come as one digest.)
    attacker_notification = notification_about(sink, ATTACKER_TEXT)
    send_mail(desk.smtp_port, f"CEO <{VICTIM}>", "support@example.com", "Quarterly numbers", "Revenue: 42")
    about_mail = notification_about(sink, "Revenue: 42")
    assert [m["text"] for m in chat_messages(attacker)] == [ATTACKER_TEXT]
    again = attacker.post("/api/widget/messages", json={"text": "ATTACKER again", "email": VICTIM})
    assert again.status_code == 201
    assert [m["text"] for m in chat_messages(attacker)] == [ATTACKER_TEXT, "ATTACKER again"]
    assert len(mails_to(sink, VICTIM)) == 1, "a repeated claim sends no second confirmation"

    # Olga answers both. The answer to the mail goes to the real address, with its own subject ...
    olga = "Olga <olga@example.com>"
    send_mail(desk.smtp_port, olga, reply_address(about_mail), "Re: numbers", "Got it, CEO")
    send_mail(desk.smtp_port, olga, reply_address(attacker_notification), "Re: hi", "To the chat")
    answered = [m for m in sink.wait_for(2, VICTIM) if "Got it, CEO" in m.body()]
    assert len(answered) == 1
    assert answered[0].message["Subject"] == "Re: Quarterly numbers"

    # ... while the answer in the chat stays in the chat: no mail to the claimed address is even planned.
    wait_until(lambda: "To the chat" in texts_of(desk, ATTACKER_TEXT), timeout=20)
    chat_id = next(int(str(c["id"])) for c in export(desk) if c["subject"] == ATTACKER_TEXT)
    assert visitor_mail_jobs(db_url, tmp_path, chat_id) == []
    assert [m for m in mails_to(sink, VICTIM) if "To the chat" in m.body() or "ATTACKER" in m.body()] == []
    assert [m["text"] for m in chat_messages(attacker)] == [ATTACKER_TEXT, "ATTACKER again", "To the chat"]
    assert texts_of(desk, "Quarterly numbers") == ["Revenue: 42", "Got it, CEO"]
