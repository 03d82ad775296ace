"""The dialog page says, beside each visitor message, why it got an autoreply or did not, in the page's
language."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge.app import build_web_app
from bridge.context import Context
from bridge.rulebook import RuleBook, Rules
from chatcore.autoreply import load_autoreplies
from chatcore.hours import WorkingHours
from chatcore.models import Conversation, Message
from tests.support.factories import change_operator
from tests.webui.conftest import log_in

RULES = [
    {"name": "night", "when": "outside_hours", "trigger": "new_conversation", "text": "We are asleep."},
]


def test_dialog_shows_the_autoreply_verdict(context: Context, operator_id: int) -> None:
    never_open = WorkingHours.from_config({"timezone": "Europe/Moscow"})  # no opening hours at all
    closed_desk = replace(context, rules=RuleBook(Rules(never_open, load_autoreplies(RULES))))
    app = build_web_app(closed_desk)
    with TestClient(app, base_url="http://desk.test", follow_redirects=False) as client:
        assert client.post("/api/widget/messages", json={"text": "Anyone there?"}).status_code == 201
        assert client.post("/api/widget/messages", json={"text": "Hello?"}).status_code == 201
        with Session(context.engine) as session:
            conversation = session.exec(select(Conversation)).one()
            kinds = [m.author_kind for m in session.exec(select(Message).order_by(Message.id))]
        assert kinds == ["visitor", "autoreply", "visitor"]
        log_in(client)
        page = client.get(f"/inbox/{conversation.id}").text
    change_operator(context.engine, operator_id, language="ru")
    with TestClient(app, base_url="http://desk.test", follow_redirects=False) as client:
        log_in(client)
        russian = client.get(f"/inbox/{conversation.id}").text
    assert "We are asleep." in page
    assert "night: answers (outside hours, channel chat, new conversation)" in page
    assert "night: skipped, it answers new conversations, this is a visitor message" in page
    assert "night: отвечает (в нерабочее время, канал: чат, новый диалог)" in russian
    assert "night: пропущено, правило отвечает на новые диалоги, а здесь сообщение посетителя" in russian
