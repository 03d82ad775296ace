"""What `relaydesk autoreply explain` and the hours page say about a moment."""

from __future__ import annotations

import pytest

from chatcore.autoreply import Channel, explain
from chatcore.autoreply.explain import local_moment
from tests.chatcore.autoreply_support import CLOSED, EN, HOURS, OPEN, RU, RULES


def test_explain_when_a_rule_answers() -> None:
    assert explain(RULES, HOURS, CLOSED, Channel.EMAIL, new_conversation=True, t=EN) == [
        "At 2026-12-31 21:30 Europe/Moscow (2026-12-31 18:30 UTC), channel email, new conversation:",
        "Closed now, opens Monday 11 January 2027 at 09:00.",
        "after-hours: answers (outside hours, channel email, new conversation)",
        'Answer: rule "after-hours".',
    ]


def test_explain_when_none_answers() -> None:
    assert explain(RULES, HOURS, OPEN, Channel.EMAIL, new_conversation=False, t=EN) == [
        "At 2026-12-14 10:00 Europe/Moscow (2026-12-14 07:00 UTC), channel email, visitor message:",
        "Open now, closes today at 18:00.",
        "after-hours: skipped, it answers new conversations, this is a visitor message",
        "daytime: skipped, channel email is not one of its channels (chat)",
        "nudge: skipped, it answers no operator reply after 5 minutes, this is a visitor message",
        "none: no rule answers",
        "Answer: no autoreply.",
    ]


def test_explain_in_russian() -> None:
    assert explain(RULES, HOURS, OPEN, Channel.EMAIL, new_conversation=False, t=RU) == [
        "Время: 2026-12-14 10:00 Europe/Moscow (2026-12-14 07:00 UTC), канал: почта, сообщение посетителя:",
        "Сейчас открыто, закрываемся сегодня в 18:00.",
        "after-hours: пропущено, правило отвечает на новые диалоги, а здесь сообщение посетителя",
        "daytime: пропущено, канал «почта» не входит в каналы правила (чат)",
        "nudge: пропущено, правило отвечает на молчание оператора (срок: 5 минут), "
        "а здесь сообщение посетителя",
        "нет ответа: ни одно правило не подходит",
        "Ответ: автоответа не будет.",
    ]


def test_a_wall_time_in_the_desks_timezone() -> None:
    assert local_moment(" 2026-12-14 10:00 ", HOURS) == OPEN
    with pytest.raises(ValueError, match="does not match"):
        local_moment("tomorrow", HOURS)
