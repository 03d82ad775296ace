"""The classify step: a person, an automatic sender, or our own mail come back."""

from __future__ import annotations

from sqlmodel import Session, select

from bridge.context import Context
from bridge.steps.classify import classify_mail
from bridge.steps.item import Item
from bridge.steps.parse import parse
from chatcore.models import Job
from inbound.classify import MailKind
from tests.bridge.pipeline_scene import (
    Scene,
    deliver,
    item_of,
    mail,
    messages,
    scene,
    spool,
)

__all__ = ["scene"]  # the fixture, imported for these tests


def classified(context: Context, raw: bytes) -> Item:
    with Session(context.engine) as session:
        return classify_mail(parse(item_of(raw), session, context), session, context)


def test_a_person_an_autoreply_and_our_own_address_are_told_apart(context: Context) -> None:
    human = classified(context, mail("anna@example.org")).classification
    auto = classified(context, mail("anna@example.org", Auto_Submitted="auto-replied")).classification
    ours = classified(context, mail("support+abc@example.com")).classification
    assert human is not None
    assert (human.kind, human.is_automatic) == (MailKind.HUMAN, False)
    assert auto is not None
    assert auto.is_automatic
    assert ours is not None
    assert ours.kind is MailKind.LOOP


def test_our_own_mail_come_back_is_done_with_and_stores_nothing(context: Context) -> None:
    deliver(context, mail("support@example.com", text="our own notification"), "k1")
    assert messages(context) == []
    row = spool(context, "k1")
    assert (row.status, row.reason) == ("done", "loop: our own mail came back")


def test_auto_replies_are_stored_but_notify_nobody(context: Context, scene: Scene) -> None:
    deliver(context, mail("bob@example.net", text="I am on holiday", Auto_Submitted="auto-replied"), "k1")

    [message] = messages(context)
    assert message.text == "I am on holiday"
    assert message.verdicts["classification"] != "human"
    with Session(context.engine) as session:
        assert session.exec(select(Job)).all() == []
