"""A burst of new conversations within the notification delay: each operator gets one email listing
them all, not one email per conversation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from bridge.app import build_web_app
from bridge.context import Context
from tests.support.factories import add_operator
from tests.support.mail import SentMail, recipient, text_of


@pytest.fixture
def outbox(context: Context, tmp_path: Path) -> SentMail:
    return SentMail(context, tmp_path / "sent")


@pytest.fixture
def operators(context: Context) -> None:
    with Session(context.engine) as session:
        add_operator(session, "olga@example.com", now=context.clock.now(), name="Olga")
        ivan = add_operator(session, "ivan@example.com", now=context.clock.now(), name="Ivan")
        ivan.language = "ru"
        session.commit()


def new_chat(context: Context, text: str) -> None:
    with TestClient(build_web_app(context), base_url="http://desk.test") as visitor:
        assert visitor.post("/api/widget/messages", json={"text": text}).status_code == 201


def test_a_burst_of_new_chats_is_one_email_per_operator(
    context: Context, outbox: SentMail, operators: None
) -> None:
    for number in range(5):
        new_chat(context, f"Spam number {number}")
        context.clock.advance(seconds=20)  # type: ignore[attr-defined]
    context.clock.advance(minutes=2)  # type: ignore[attr-defined]  # past the delay of the first
    sent = outbox.tick()
    assert sorted(recipient(m) for m in sent) == ["ivan@example.com", "olga@example.com"]
    olga = next(m for m in sent if recipient(m) == "olga@example.com")
    assert str(olga["Subject"]) == "New messages in 5 conversations"
    assert all(f"Spam number {number}" in text_of(olga) for number in range(5))
    assert olga["Reply-To"] is None, "a digest answers no single conversation"
    ivan = next(m for m in sent if recipient(m) == "ivan@example.com")
    assert str(ivan["Subject"]) == "Новые сообщения в 5 диалогах"

    context.clock.advance(minutes=10)  # type: ignore[attr-defined]
    assert outbox.tick() == [], "the conversations of the digest are not mailed again"


def test_chats_further_apart_than_the_delay_get_a_notification_each(
    context: Context, outbox: SentMail, operators: None
) -> None:
    new_chat(context, "First")
    context.clock.advance(minutes=5)  # type: ignore[attr-defined]
    first = [m for m in outbox.tick() if recipient(m) == "olga@example.com"]
    new_chat(context, "Second")
    context.clock.advance(minutes=5)  # type: ignore[attr-defined]
    second = [m for m in outbox.tick() if recipient(m) == "olga@example.com"]
    assert [len(first), len(second)] == [1, 1]
    assert "First" in text_of(first[0])
    assert "Second" in text_of(second[0])
    assert second[0]["Reply-To"] is not None, "a single conversation's notification can be answered by mail"
