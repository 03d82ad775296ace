"""Malformed MIME through the whole worker on a real database: every input ends stored or quarantined.

The parse-level fuzz test proves the parser never crashes; this one proves nothing after it does either
(classify, clean, dedupe, route, store on SQLite and PostgreSQL), that the raw bytes are kept exactly,
and that a quarantined mail names the step that refused it rather than an unexpected error.
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from bridge.context import Context
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from chatcore.models import Conversation, Message, SpoolItem, SpoolStatus
from tests.support.mime_fuzz import entity, header_line, mutated_fixture, truncated

SUPPORT = "support@example.com"
NAMED_STEPS = ("parse: ", "route: ", "store: ")
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large
    ],
)

senders = st.sampled_from([
    "anna@example.org", "Борис <boris@example.ru>", "=?utf-8?B?0JDQvdC90LA=?= <anna@example.org>",
    "", "@", "<>",
])


@st.composite
def addressed(draw: st.DrawFn, body: st.SearchStrategy[bytes]) -> bytes:
    """Fuzzed MIME, usually behind a From and To that let it reach routing and storage."""
    raw = draw(body)
    if not draw(st.integers(0, 4)):
        return raw
    lines = [f"From: {draw(senders)}".encode(), f"To: {SUPPORT}".encode()]
    lines += draw(st.lists(header_line(), max_size=3))
    return b"\r\n".join(lines) + b"\r\n" + raw


def assert_ends_stored_or_quarantined(context: Context, raw: bytes) -> None:
    key = f"fuzz:{uuid.uuid4().hex}"
    assert store_raw(context, key, raw, None, [SUPPORT])
    process_pending(context)
    with Session(context.engine) as session:
        row = session.exec(select(SpoolItem).where(SpoolItem.source_key == key)).one()
        assert row.raw == raw, "the mail as it arrived is kept byte for byte"
        assert row.status in (SpoolStatus.DONE, SpoolStatus.DUPLICATE, SpoolStatus.QUARANTINED)
        if row.status == SpoolStatus.QUARANTINED:
            assert row.reason.startswith(NAMED_STEPS), row.reason
            return
        assert row.reason, "a processed mail records what became of it"
        if row.status == SpoolStatus.DUPLICATE or not row.reason.startswith("message "):
            return
        message = session.get(Message, int(row.reason.removeprefix("message ")))
        assert message is not None
        assert message.spool_item_id == row.id
        assert session.get(Conversation, message.conversation_id) is not None
        assert "\x00" not in message.text


@pytest.mark.timeout(300)
@SETTINGS
@given(raw=addressed(truncated(entity(depth=3))))
def test_random_mime_trees_end_stored_or_quarantined(context: Context, raw: bytes) -> None:
    assert_ends_stored_or_quarantined(context, raw)


@pytest.mark.timeout(300)
@SETTINGS
@given(raw=mutated_fixture())
def test_mutated_real_mail_ends_stored_or_quarantined(context: Context, raw: bytes) -> None:
    assert_ends_stored_or_quarantined(context, raw)
