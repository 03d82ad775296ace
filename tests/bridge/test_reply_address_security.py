"""Operator reply addresses expire (a leaked one stops working, with a clear bounce-back to the
operator), and email commands need DKIM when the operator's domain publishes DKIM keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bridge.app import build_context
from bridge.context import Context
from bridge.settings import SettingsError
from bridge.tokens import Party, Token
from chatcore.models import ConversationTag, OutboxMail, Tag
from tests.bridge.pipeline_scene import SUPPORT, deliver, mail, messages, spool
from tests.bridge.test_dkim_operators import Keys, Scene, add_scene, signed_by
from tests.conftest import make_settings
from tests.support.clock import ManualClock
from tests.support.dkim_keys import make_key


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    directory = tmp_path_factory.mktemp("dkim-keys")
    return Keys(make_key(directory), make_key(directory), make_key(directory))


@pytest.fixture
def desk(tmp_path: Path, db_url: str, engine: Engine, keys: Keys) -> Context:
    settings = make_settings(tmp_path, db_url, mail={"operator_reply_max_age": "30d"})
    context = build_context(settings, clock=ManualClock(), engine=engine)
    return replace(context, dkim_dns=keys.dns(), dkim_probe=lambda domain: domain == "example.com")


def address_issued(context: Context, scene: Scene, days_ago: int | None) -> str:
    token = Token(Party.OPERATOR, scene.conversation_id, scene.operator_id)
    if days_ago is not None:
        token = token.stamped(context.clock.now() - timedelta(days=days_ago))
    return context.codec.reply_address(SUPPORT, token)


def refusals(context: Context) -> list[bytes]:
    with Session(context.engine) as session:
        rows = session.exec(select(OutboxMail).where(OutboxMail.kind == "operator_refused"))
        return [row.raw.replace(b"=\r\n", b"") for row in rows]


def tags(context: Context) -> list[str]:
    with Session(context.engine) as session:
        return list(session.exec(select(Tag.name).join(ConversationTag)))


def test_a_reply_address_within_its_age_posts(desk: Context) -> None:
    scene = add_scene(desk)
    deliver(desk, mail("Olga <olga@example.com>", address_issued(desk, scene, 30), "Ships today."), "k1")
    assert [m.text for m in messages(desk)] == ["Ships today."]


@pytest.mark.parametrize(
    ("days_ago", "why"),
    [
        (31, "expired after 30 days"),
        (None, "this reply address is from before reply addresses expired"),
    ],
)
def test_an_old_reply_address_is_refused_and_the_operator_asked_to_reply_to_the_latest(
    desk: Context, days_ago: int | None, why: str
) -> None:
    scene = add_scene(desk)
    deliver(desk, mail("Olga <olga@example.com>", address_issued(desk, scene, days_ago), "Refund!"), "k1")

    assert messages(desk) == []
    row = spool(desk, "k1")
    assert row.status == "quarantined"
    assert why in row.reason
    assert "reply to the latest email about this conversation" in row.reason
    [told] = refusals(desk)
    assert b"Reply to the latest email about this conversation: its reply address is current." in told


def test_commands_need_dkim_when_the_operators_domain_publishes_it(desk: Context, keys: Keys) -> None:
    scene = add_scene(desk)
    fresh = address_issued(desk, scene, 0)
    deliver(desk, mail("Olga <olga@example.com>", fresh, "#tag vip\nDone."), "forged")
    assert (messages(desk), tags(desk)) == ([], [])
    assert "email commands need a DKIM signature that verifies" in refusals(desk)[0].decode()

    signed = signed_by(keys.client, "example.com", mail("Olga <olga@example.com>", fresh, "#tag vip\nDone."))
    deliver(desk, signed, "signed")
    assert tags(desk) == ["vip"]
    assert [m.text for m in messages(desk)] == ["Done."]

    deliver(desk, mail("Olga <olga@example.com>", fresh, "Plain text, no commands."), "plain")
    assert [m.text for m in messages(desk)] == ["Done.", "Plain text, no commands."]


def test_commands_from_a_domain_without_dkim_run_unsigned(desk: Context) -> None:
    lenient = replace(desk, dkim_probe=lambda domain: False)
    scene = add_scene(lenient)
    deliver(lenient, mail("Olga <olga@example.com>", address_issued(lenient, scene, 0), "#tag vip"), "k1")
    assert tags(lenient) == ["vip"]


def test_the_age_limit_is_a_setting_of_at_least_a_day(tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path, db_url, mail={"operator_reply_max_age": "7d"})
    assert settings.mail.operator_reply_max_age == timedelta(days=7)
    assert make_settings(tmp_path, db_url).mail.operator_reply_max_age == timedelta(days=30)
    with pytest.raises(SettingsError, match="at least 1d"):
        make_settings(tmp_path, db_url, mail={"operator_reply_max_age": "2h"})
