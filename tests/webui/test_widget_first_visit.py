"""A visitor's first page view and first message arrive together (the widget sends both as the page
opens): both requests make the visitor's contact, and neither may fail or lose the message."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette

from bridge.app import build_web_app
from bridge.context import Context
from chatcore.models import Contact, Conversation, Message
from tests.support.served import serving

VISITORS = 8  # within the new chats one address may start at once


@pytest.fixture
def app(context: Context) -> Starlette:
    return build_web_app(context)


@pytest.fixture
def served(app: Starlette) -> Iterator[str]:
    with serving(app) as url:
        yield url


def first_visit(base_url: str, signed: str, n: int, start: threading.Barrier) -> tuple[int, int]:
    view = {"visitor": signed, "url": f"https://shop.example/item/{n}", "title": "Item", "referrer": ""}
    message = {"visitor": signed, "text": f"Вопрос номер {n}"}
    with (
        httpx.Client(base_url=base_url, timeout=30) as a,
        httpx.Client(base_url=base_url, timeout=30) as b,
        ThreadPoolExecutor(2) as pool,
    ):
        start.wait()
        viewed = pool.submit(a.post, "/api/widget/pageviews", json=view)
        sent = pool.submit(b.post, "/api/widget/messages", json=message)
        return viewed.result().status_code, sent.result().status_code


def test_the_first_page_view_and_the_first_message_at_once_make_one_contact_and_keep_the_message(
    app: Starlette, served: str, context: Context
) -> None:
    ids = [app.state.widget_limits.ids.new() for _ in range(VISITORS)]
    start = threading.Barrier(VISITORS)
    with ThreadPoolExecutor(VISITORS) as pool:
        answers = list(pool.map(lambda n: first_visit(served, ids[n][1], n, start), range(VISITORS)))
    assert answers == [(204, 201)] * VISITORS
    with Session(context.engine) as session:
        for n, (visitor_id, _) in enumerate(ids):
            (contact,) = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).all()
            assert contact.visits == 1
            (conversation,) = session.exec(
                select(Conversation).where(Conversation.contact_id == contact.id)
            ).all()
            texts = session.exec(select(Message.text).where(Message.conversation_id == conversation.id)).all()
            assert f"Вопрос номер {n}" in texts
