"""Verdict codes and rules in words, in English and Russian, plural forms by the catalog."""

from __future__ import annotations

import pytest

from chatcore.autoreply import Code, Reason, reason_text, rule_text
from chatcore.autoreply.reasons import reason
from chatcore.autoreply.words import duration_text
from tests.chatcore.autoreply_support import EN, RU, RULES


@pytest.mark.parametrize(
    ("stored", "english", "russian"),
    [
        pytest.param(
            reason(
                Code.ANSWERS, rule="night", when="outside_hours", channel="email", trigger="new_conversation"
            ),
            "night: answers (outside hours, channel email, new conversation)",
            "night: отвечает (в нерабочее время, канал: почта, новый диалог)",
            id="answers",
        ),
        pytest.param(
            reason(
                Code.ANSWERS,
                rule="nudge",
                when="always",
                channel="chat",
                trigger="no_operator_reply",
                waited=420,
            ),
            "nudge: answers (always, channel chat, no operator reply for 7 minutes)",
            "nudge: отвечает (всегда, канал: чат, нет ответа оператора: 7 минут)",
            id="answers after a wait",
        ),
        pytest.param(
            reason(Code.TOO_EARLY, rule="nudge", waited=60, after=300),
            "nudge: skipped, no operator reply for 1 minute, it waits 5 minutes",
            "nudge: пропущено, оператор молчит меньше срока (прошло: 1 минута, срок: 5 минут)",
            id="too early",
        ),
        pytest.param(
            reason(Code.COOLDOWN, rule="night", until="2026-12-31T21:00:00+00:00"),
            "night: skipped, cooldown until 2026-12-31 21:00 UTC",
            "night: пропущено, пауза после прошлого автоответа до 2026-12-31 21:00 UTC",
            id="cooldown",
        ),
        pytest.param(
            reason(Code.HOURLY_CAP, count=21, cap=3),
            "none: 21 autoreplies to this contact in the last hour, the cap is 3",
            "нет ответа: за последний час этому контакту отправлен 21 автоответ, предел — 3",
            id="hourly cap, 21",
        ),
        pytest.param(
            reason(Code.HOURLY_CAP, count=3, cap=3).to_json(),
            "none: 3 autoreplies to this contact in the last hour, the cap is 3",
            "нет ответа: за последний час этому контакту отправлено 3 автоответа, предел — 3",
            id="hourly cap, 3, as stored",
        ),
        pytest.param(
            reason(Code.AUTOMATIC, reason="Auto-Submitted: auto-replied"),
            "none: mail is automatic (Auto-Submitted: auto-replied)",
            "нет ответа: письмо автоматическое (Auto-Submitted: auto-replied)",
            id="automatic",
        ),
        pytest.param(
            Reason.from_json("an old sentence nobody could map"),
            "an old sentence nobody could map",
            "an old sentence nobody could map",
            id="legacy text stays as it was",
        ),
    ],
)
def test_a_reason_in_both_languages(stored: object, english: str, russian: str) -> None:
    assert reason_text(stored, EN) == english
    assert reason_text(stored, RU) == russian


@pytest.mark.parametrize(
    ("seconds", "english", "russian"),
    [
        (1, "1 second", "1 секунда"),
        (90, "90 seconds", "90 секунд"),
        (120, "2 minutes", "2 минуты"),
        (21 * 60, "21 minutes", "21 минута"),
        (5 * 3600, "5 hours", "5 часов"),
        (22 * 3600, "22 hours", "22 часа"),
        (86400, "1 day", "1 день"),
        (2 * 604800, "2 weeks", "2 недели"),
    ],
)
def test_durations_take_the_plural_form_of_their_number(seconds: int, english: str, russian: str) -> None:
    assert (duration_text(seconds, EN), duration_text(seconds, RU)) == (english, russian)


def test_rules_in_words() -> None:
    assert [rule_text(rule, EN) for rule in RULES] == [
        "Outside hours: answers new conversations; channels: chat, email; "
        "pause between its autoreplies to one contact: 12 hours.",
        "Inside hours: answers every visitor message; channels: chat; "
        "pause between its autoreplies to one contact: 1 hour.",
        "Always: answers when no operator has replied within 5 minutes; channels: email; "
        "pause between its autoreplies to one contact: 12 hours.",
    ]
    assert rule_text(RULES[2], RU) == (
        "Всегда: отвечает, если оператор не ответил (срок: 5 минут); каналы: почта; "
        "пауза между его автоответами одному контакту: 12 часов."
    )
