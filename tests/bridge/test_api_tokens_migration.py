"""Migration 0005: replies saved before it stay shared (edited by admins); it goes back down cleanly."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import Session

from bridge.db import alembic_config, make_engine
from chatcore import saved_replies
from chatcore.models import Operator, SavedReply


def test_old_saved_replies_stay_shared_and_admins_edit_them(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url, str(tmp_path))
    config = alembic_config(engine)
    command.upgrade(config, "0004_inbox_read_model")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO savedreply (id, title, text) VALUES (1, 'Привет', 'Здравствуйте!')")
        )
    command.upgrade(config, "0005_api_tokens")
    with Session(engine) as session:
        reply = session.get(SavedReply, 1)
        assert reply is not None
        assert (reply.shared, reply.owner_id) == (True, None)
        assert reply.created_at.tzinfo is not None
        admin = Operator(id=7, email="a@example.com", role="admin")
        operator = Operator(id=8, email="o@example.com")
        assert saved_replies.may_edit(reply, admin)
        assert not saved_replies.may_edit(reply, operator)
    command.downgrade(config, "0004_inbox_read_model")
    tables = inspect(engine).get_table_names()
    assert "apitoken" not in tables
    assert {c["name"] for c in inspect(engine).get_columns("savedreply")} == {"id", "title", "text"}
    command.upgrade(config, "head")
    engine.dispose()
