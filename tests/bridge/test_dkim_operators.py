"""With require_dkim_for_operators, an operator reply posts only when DKIM vouches for its sender's domain."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email import message_from_bytes, policy
from pathlib import Path

import dkim
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bridge.app import build_context
from bridge.context import Context
from bridge.delivery import deliver_due
from chatcore.models import OutboxMail
from chatcore.services import Desk
from outbound.dkim import DkimSigner
from outbound.transport import MaildirTransport
from tests.bridge.pipeline_scene import deliver, mail, messages, operator_address, spool
from tests.conftest import make_settings
from tests.support.clock import ManualClock
from tests.support.dkim_keys import DkimKey, DnsStub, dns_serving, make_key
from tests.support.factories import add_contact, add_operator, change_operator
from tests.support.mail import text_of_raw


@dataclass(frozen=True)
class Keys:
    desk: DkimKey  # signs what Relaydesk sends
    client: DkimKey  # the operators' mail provider, for example.com
    stranger: DkimKey  # someone else's domain

    def dns(self) -> DnsStub:
        return dns_serving(
            {
                "desk._domainkey.example.com": self.desk,
                "mx1._domainkey.example.com": self.client,
                "mx1._domainkey.evil.test": self.stranger,
            }
        )


@dataclass(frozen=True)
class Scene:
    conversation_id: int
    contact_id: int
    operator_id: int


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    directory = tmp_path_factory.mktemp("dkim-keys")
    return Keys(make_key(directory), make_key(directory), make_key(directory))


def dkim_context(
    tmp_path: Path, db_url: str, engine: Engine, keys: Keys, *, required: bool
) -> Iterator[Context]:
    key_file = keys.desk.write(tmp_path / "desk.pem")
    settings = make_settings(
        tmp_path,
        db_url,
        mail={"require_dkim_for_operators": required},
        outbound={"dkim_selector": "desk", "dkim_key_file": str(key_file)},
    )
    yield replace(build_context(settings, clock=ManualClock(), engine=engine), dkim_dns=keys.dns())


@pytest.fixture
def strict(tmp_path: Path, db_url: str, engine: Engine, keys: Keys) -> Iterator[Context]:
    yield from dkim_context(tmp_path, db_url, engine, keys, required=True)


@pytest.fixture
def lenient(tmp_path: Path, db_url: str, engine: Engine, keys: Keys) -> Iterator[Context]:
    yield from dkim_context(tmp_path, db_url, engine, keys, required=False)


def add_scene(context: Context) -> Scene:
    with Session(context.engine) as session:
        now = context.clock.now()
        operator = add_operator(
            session, "olga@example.com", now=now, name="Olga", alternate_emails=["olga@eu.example.com"]
        )
        contact = add_contact(session, now=now, name="Anna", email="anna@example.org")
        conversation, _ = Desk(session, now).start_conversation(contact, "chat", "Order")
        made = Scene(conversation.id or 0, contact.id or 0, operator.id or 0)
        session.commit()
    return made


def signed_by(key: DkimKey, domain: str, raw: bytes) -> bytes:
    return DkimSigner(domain, "mx1", key.private_pem).sign(raw)


def reply(context: Context, scene: Scene, sender: str = "Olga <olga@example.com>") -> bytes:
    return mail(sender, operator_address(context, scene), "Your order ships today.")


def refusals(context: Context) -> list[OutboxMail]:
    with Session(context.engine) as session:
        return list(session.exec(select(OutboxMail).where(OutboxMail.kind == "operator_refused")))


def test_a_signed_operator_reply_posts(strict: Context, keys: Keys) -> None:
    scene = add_scene(strict)
    deliver(strict, signed_by(keys.client, "example.com", reply(strict, scene)), "k1")

    [message] = messages(strict)
    assert message.author_kind == "operator"
    assert message.text == "Your order ships today."
    assert spool(strict, "k1").status == "done"


def test_a_signature_by_the_parent_domain_covers_a_subdomain_sender(strict: Context, keys: Keys) -> None:
    scene = add_scene(strict)
    raw = signed_by(keys.client, "example.com", reply(strict, scene, "olga@eu.example.com"))
    deliver(strict, raw, "k1")
    assert [m.author_kind for m in messages(strict)] == ["operator"]


def test_an_unsigned_operator_reply_is_quarantined_and_the_operator_told(strict: Context) -> None:
    scene = add_scene(strict)
    deliver(strict, reply(strict, scene), "k1")

    assert messages(strict) == []
    row = spool(strict, "k1")
    assert row.status == "quarantined"
    assert "DKIM signature missing for example.com" in row.reason
    [refusal] = refusals(strict)
    assert refusal.recipient == "olga@example.com"
    assert refusal.conversation_id == scene.conversation_id
    assert b"DKIM signature missing for example.com" in refusal.raw.replace(b"=\r\n", b"")


def test_a_russian_operator_hears_the_refusal_in_russian(strict: Context) -> None:
    scene = add_scene(strict)
    change_operator(strict.engine, scene.operator_id, language="ru")
    deliver(strict, reply(strict, scene), "k1")

    [refusal] = refusals(strict)
    text = text_of_raw(refusal.raw)
    assert "У письма нет подписи DKIM для example.com." in text
    assert "должен ставить на письма подпись DKIM" in text, "the hint for a DKIM refusal"
    assert "DKIM signature missing" in spool(strict, "k1").reason, "the stored sentence stays English"


def test_a_reply_signed_for_another_domain_is_quarantined(strict: Context, keys: Keys) -> None:
    scene = add_scene(strict)
    deliver(strict, signed_by(keys.stranger, "evil.test", reply(strict, scene)), "k1")

    assert messages(strict) == []
    row = spool(strict, "k1")
    assert row.status == "quarantined"
    assert "DKIM signature invalid for example.com" in row.reason
    assert "evil.test" in row.reason


def test_a_reply_changed_after_signing_is_quarantined(strict: Context, keys: Keys) -> None:
    scene = add_scene(strict)
    raw = signed_by(keys.client, "example.com", reply(strict, scene))
    deliver(strict, raw.replace(b"ships today", b"is refunded"), "k1")

    assert messages(strict) == []
    assert "DKIM signature invalid for example.com" in spool(strict, "k1").reason


def test_a_key_not_in_dns_does_not_verify(strict: Context, keys: Keys) -> None:
    scene = add_scene(strict)
    raw = DkimSigner("example.com", "unpublished", keys.client.private_pem).sign(reply(strict, scene))
    deliver(strict, raw, "k1")
    assert messages(strict) == []
    assert spool(strict, "k1").status == "quarantined"


def test_without_the_setting_unsigned_operator_replies_post(lenient: Context) -> None:
    scene = add_scene(lenient)
    deliver(lenient, reply(lenient, scene), "k1")
    assert [m.author_kind for m in messages(lenient)] == ["operator"]


def test_mail_the_desk_sends_is_signed_with_its_key(strict: Context, keys: Keys, tmp_path: Path) -> None:
    scene = add_scene(strict)
    deliver(strict, reply(strict, scene), "k1")  # refused: the operator is told, by a mail from us

    sent = tmp_path / "sent"
    assert deliver_due(strict, MaildirTransport(sent)) == 1
    [raw] = [box.get_bytes(key) for box in [mailbox.Maildir(sent)] for key in box.iterkeys()]
    assert dkim.verify(raw, dnsfunc=keys.dns())
    parsed = message_from_bytes(raw, policy=policy.default)
    assert "d=example.com" in str(parsed["DKIM-Signature"])
    assert "s=desk" in str(parsed["DKIM-Signature"])
