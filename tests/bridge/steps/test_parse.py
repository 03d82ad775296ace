"""The parse step: raw bytes to a ParsedMail within [inbound.smtp].max_message_size, or quarantine."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bridge.app import build_context
from bridge.context import Context
from bridge.steps.item import Quarantined
from bridge.steps.parse import parse
from tests.bridge.pipeline_scene import (
    item_of,
    mail,
)
from tests.conftest import make_settings
from tests.support.clock import ManualClock


def test_the_mail_is_parsed_onto_the_item(context: Context) -> None:
    with Session(context.engine) as session:
        parsed = parse(item_of(mail("Anna <anna@example.org>", subject="Order")), session, context)
    assert parsed.mail is not None
    assert (parsed.mail.from_address, parsed.mail.subject) == ("anna@example.org", "Order")


def test_a_mail_over_the_configured_size_is_quarantined_naming_the_limit(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    smtp = {"spool_dir": str(tmp_path / "spool"), "max_message_size": "1KB"}
    context = build_context(make_settings(tmp_path, db_url, inbound={"smtp": smtp}), ManualClock(), engine)
    with Session(engine) as session, pytest.raises(Quarantined) as caught:
        parse(item_of(mail("anna@example.org", text="x" * 2000)), session, context)
    assert caught.value.step == "parse"
    assert caught.value.detail.code == "too_large"
    assert caught.value.detail.args["limit"] == 1024
    assert "limit max_size" in caught.value.detail.english
