"""`relaydesk site-key create|list|revoke`, and the bounded contact history (days and events)."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import Session, col, select

from bridge.context import Context
from bridge.db import alembic_config, make_engine
from bridge.serve import prune_contact_history
from chatcore import contact_history, site_keys
from chatcore.contact_history import HistoryLimits, PageView
from chatcore.models import Contact, ContactEvent
from tests.bridge.test_cli import config, run

__all__ = ["config"]


def test_site_keys_are_created_listed_and_revoked(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--config", str(config), "site-key", "create", "--name", "shop backend")
    assert (code, err) == (0, "")
    key = out.strip().splitlines()[-1]
    assert key.startswith("rds_")
    assert len(key) > 40
    code, listed, _ = run(capsys, "--config", str(config), "site-key", "list")
    [line] = listed.strip().splitlines()
    key_id, state, _created, used, shown, name = line.split("\t")
    assert (state, used, name) == ("live", "never used", "shop backend")
    assert key.startswith(shown.rstrip("…"))
    assert key not in listed  # only the start of a key is ever listed
    engine = make_engine(tomllib.loads(config.read_text())["database"]["url"], str(config.parent))
    try:
        with Session(engine) as session:
            assert site_keys.live_key(session, key) is not None
        assert run(capsys, "--config", str(config), "site-key", "revoke", key_id)[0] == 0
        with Session(engine) as session:
            assert site_keys.live_key(session, key) is None
    finally:
        engine.dispose()
    assert run(capsys, "--config", str(config), "site-key", "list")[1].split("\t")[1] == "revoked"
    code, out, err = run(capsys, "--config", str(config), "site-key", "revoke", key_id)
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "--config", str(config), "site-key", "create", "--name", "x" * 101)
    assert code == 2
    assert err.startswith("relaydesk: --name")


def _views(context: Context, limits: HistoryLimits, count: int, step: timedelta, visitor: str) -> int:
    with Session(context.engine) as session:
        contact = Contact(visitor_id=visitor, first_seen=context.clock.now(), last_seen=context.clock.now())
        start = context.clock.now() - step * count
        for index in range(count):
            view = PageView(url=f"https://shop.example/p{index}")
            contact_history.record_page_view(session, contact, view, start + step * index, limits)
        session.commit()
        return contact.id or 0


def _urls(context: Context, contact_id: int) -> list[str]:
    with Session(context.engine) as session:
        query = (
            select(ContactEvent.url)
            .where(ContactEvent.contact_id == contact_id)
            .order_by(col(ContactEvent.id))
        )
        return list(session.exec(query))


def test_history_keeps_the_newest_events_and_the_scheduler_drops_old_days(context: Context) -> None:
    contact_id = _views(context, HistoryLimits(days=365, events=3), 5, timedelta(minutes=1), "a" * 20)
    assert _urls(context, contact_id) == [f"https://shop.example/p{i}" for i in (2, 3, 4)]
    # 10 views a day apart; the settings keep 365 days, so all stay until the clock moves on
    other = _views(context, HistoryLimits(days=365, events=1000), 10, timedelta(days=1), "b" * 20)
    assert len(_urls(context, other)) == 10
    context.clock.advance(days=362)  # type: ignore[attr-defined]
    assert prune_contact_history(context) == 7  # views older than 365 days, of every contact
    assert _urls(context, other) == [f"https://shop.example/p{i}" for i in (7, 8, 9)]
    assert len(_urls(context, contact_id)) == 3


def test_migration_0011_goes_up_with_existing_contacts_and_back_down(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url, str(tmp_path))
    config = alembic_config(engine)
    command.upgrade(config, "0015_verdict_codes")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO contact (id, name, phone, notes, properties, first_seen, last_seen, "
                "undeliverable_reason) VALUES "
                "(1, 'Иван', '', '', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '')"
            )
        )
    command.upgrade(config, "0011_site_keys")
    with Session(engine) as session:
        contact = session.get(Contact, 1)
        assert contact is not None
        assert (contact.visits, contact.first_source, contact.external_id) == (0, {}, None)
    command.downgrade(config, "0015_verdict_codes")
    assert "sitekey" not in inspect(engine).get_table_names()
    assert "external_id" not in {c["name"] for c in inspect(engine).get_columns("contact")}
    command.upgrade(config, "head")
    engine.dispose()
