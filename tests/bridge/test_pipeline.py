"""The pipeline's runner: batches of spool items, each in a savepoint, a mail that fails quarantined alone
and the worker going on (deferral and its deadline: test_deferred.py). Each step has its own test module
in tests/bridge/steps/."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import Session

from bridge.context import Context
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from bridge.steps import parse as parse_step
from bridge.tokens import Party, Token
from chatcore.mail_reasons import MailCode, mail_reason
from chatcore.models import Conversation
from chatcore.services import Desk
from inbound.limits import MailRejected, ParseLimits
from inbound.parse import ParsedMail, parse_mail
from tests.bridge.pipeline_scene import (
    SUPPORT,
    Scene,
    deliver,
    mail,
    messages,
    operator_address,
    scene,
    spool,
)

# `scene` is the fixture of these tests; the other names stay importable from here for older test modules.
__all__ = ["SUPPORT", "Scene", "deliver", "mail", "messages", "operator_address", "scene", "spool"]


def test_a_rejected_mail_is_quarantined_and_the_worker_goes_on(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    def picky_parser(raw: bytes, limits: ParseLimits | None = None) -> ParsedMail:
        if b"X-Poison" in raw:
            raise MailRejected(mail_reason(MailCode.TOO_MANY_PARTS, limit=3))
        if b"X-Crash" in raw:
            raise RuntimeError("parser bug")
        return parse_mail(raw, limits)

    monkeypatch.setattr(parse_step, "parse_mail", picky_parser)
    assert store_raw(context, "bad", mail("bob@example.net", X_Poison="1"), None, [])
    assert store_raw(context, "crash", mail("carl@example.net", X_Crash="1"), None, [])
    assert store_raw(context, "good", mail("dora@example.net", text="I am fine"), None, [])
    assert process_pending(context) == 3

    assert [m.text for m in messages(context)] == ["I am fine"]
    bad, crash = spool(context, "bad"), spool(context, "crash")
    expected = "parse: The mail has more than 3 MIME parts (limit max_parts)."
    assert (bad.status, bad.reason) == ("quarantined", expected)
    assert bad.reason_detail == {"code": "too_many_parts", "args": {"limit": 3}}
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
