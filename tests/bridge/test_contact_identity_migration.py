"""Migration 0006_contact_identity: addresses case-folded, one contact per verified address (the oldest
keeps it), addresses typed into the chat kept as claims; the database refuses a second verified holder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bridge.db import alembic_config, make_engine, migrate

WHEN = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def old_engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(db_url, str(tmp_path))
    command.upgrade(alembic_config(engine), "0003_spool_due_index")
    yield engine
    engine.dispose()


def contact_table(bind: Engine | sa.Connection) -> sa.Table:
    return sa.Table("contact", sa.MetaData(), autoload_with=bind)


def add(engine: Engine, email: str | None, visitor_id: str | None = None, **extra: object) -> None:
    row = {
        "name": "",
        "email": email,
        "phone": "",
        "notes": "",
        "properties": {},
        "visitor_id": visitor_id,
        "first_seen": WHEN,
        "last_seen": WHEN,
        "undeliverable_reason": "",
        **extra,
    }
    with engine.begin() as connection:
        connection.execute(sa.insert(contact_table(connection)), row)


def test_existing_contacts_keep_the_first_verified_holder_and_claims_stay_claims(old_engine: Engine) -> None:
    add(old_engine, "Anna@Example.org")  # from mail: the oldest holder
    add(old_engine, "anna@example.org ")  # from mail too, later: keeps the address as a claim
    add(old_engine, "anna@example.org", visitor_id="v-1")  # typed into the chat: a claim
    add(old_engine, "boris@example.net")
    add(old_engine, "")
    migrate(old_engine)

    with old_engine.connect() as connection:
        table = contact_table(connection)
        rows = connection.execute(
            sa.select(table.c.id, table.c.email, table.c.email_verified_at).order_by(table.c.id)
        ).all()
    assert [(email, verified is not None) for _, email, verified in rows] == [
        ("anna@example.org", True),
        ("anna@example.org", False),
        ("anna@example.org", False),
        ("boris@example.net", True),
        (None, False),
    ]

    add(old_engine, "carl@example.com", email_verified_at=WHEN)
    add(old_engine, "carl@example.com")  # a second claim is fine
    with pytest.raises(IntegrityError):
        add(old_engine, "carl@example.com", email_verified_at=WHEN)
