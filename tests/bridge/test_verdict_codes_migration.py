"""Migration 0015: autoreply verdicts stored as English sentences become codes; down writes sentences."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bridge.db import alembic_config, make_engine
from chatcore.models import Message
from chatcore.services import Desk, NewMessage
from tests.support.factories import add_contact

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OLD = {
    "classification": "human",
    "autoreply": [
        "after-hours: skipped, inside hours",
        "nudge: skipped, no operator reply for 3m, it waits 5m",
        "none: the moon is full",
    ],
    "autoreply_check": ["none: no rule answers"],
}


def stored_verdicts(engine: Engine) -> list[dict[str, object]]:
    with Session(engine) as session:
        return [dict(message.verdicts) for message in session.exec(select(Message).order_by(Message.id))]


def test_sentences_become_codes_and_back(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url, str(tmp_path))
    config = alembic_config(engine)
    command.upgrade(config, "head")
    with Session(engine) as session:
        desk = Desk(session, NOW)
        conversation, _ = desk.start_conversation(add_contact(session, now=NOW, name="Анна"), "chat")
        desk.post_visitor_message(conversation, NewMessage("Здравствуйте", verdicts=OLD))
        desk.post_visitor_message(conversation, NewMessage("no verdicts", verdicts={"spam": "pass"}))
        session.commit()
    command.downgrade(config, "0012_settings_people")  # sentences stay sentences going down
    command.upgrade(config, "0015_verdict_codes")
    first, second = stored_verdicts(engine)
    assert first == {
        "classification": "human",
        "autoreply": [
            {"code": "inside_hours", "args": {"rule": "after-hours"}},
            {"code": "too_early", "args": {"rule": "nudge", "waited": 180, "after": 300}},
            {"code": "legacy", "args": {"text": "none: the moon is full"}},
        ],
        "autoreply_check": [{"code": "no_answer", "args": {}}],
    }
    assert second == {"spam": "pass"}
    command.downgrade(config, "0012_settings_people")
    assert stored_verdicts(engine)[0]["autoreply"] == [
        "after-hours: skipped, inside hours",
        "nudge: skipped, no operator reply for 3 minutes, it waits 5 minutes",
        "none: the moon is full",
    ]
    command.upgrade(config, "head")
    engine.dispose()
