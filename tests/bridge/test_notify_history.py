"""The operator's notification shows the last ten messages, and loads only those, however long the thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bridge.context import Context
from bridge.notifications import HISTORY
from chatcore.models import Message
from tests.bridge.test_notifications import build_scene, on_conversation, operator_says, visitor_says
from tests.support.clock import ManualClock
from tests.support.mail import SentMail, recipient, text_of


@pytest.fixture
def loaded_messages() -> Iterator[list[int]]:
    """The id of every Message row loaded from the database while the test runs."""
    loaded: list[int] = []

    def count(target: Message, _context: Any) -> None:
        loaded.append(target.id or 0)

    event.listen(Message, "load", count)
    yield loaded
    event.remove(Message, "load", count)


def test_a_long_thread_loads_only_the_last_ten_for_the_notification(
    context: Context, clock: ManualClock, tmp_path: Path, loaded_messages: list[int]
) -> None:
    scene = build_scene(context)
    for number in range(60):
        visitor_says(context, scene, f"Question {number}")
        operator_says(context, scene, scene.olga, f"Answer {number}")
    on_conversation(context, scene, "read", scene.ivan)
    on_conversation(context, scene, "seen")
    clock.advance(minutes=5)
    SentMail(context, tmp_path / "before").tick()  # whatever was due before
    visitor_says(context, scene, "One more thing")
    clock.advance(minutes=5)
    loaded_messages.clear()

    mails = SentMail(context, tmp_path / "sent").tick()

    [to_olga] = [mail for mail in mails if recipient(mail) == "olga@example.com"]
    text = text_of(to_olga)
    assert "One more thing" in text
    assert "Answer 59" in text
    assert "Question 51" not in text, "only the last ten messages are shown"
    per_mail = len(loaded_messages) / len(mails)
    assert per_mail <= HISTORY + 1, f"{per_mail:.0f} messages loaded per notification"
