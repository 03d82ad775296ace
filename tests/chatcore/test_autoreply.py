"""Autoreply rules: parsing, which rule answers and why, the text a contact gets, and `explain`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chatcore.autoreply import (
    AutoreplyRule,
    AutoreplySituation,
    Channel,
    Trigger,
    When,
    decide,
    explain,
    load_autoreplies,
    render,
    validate_autoreplies,
    validate_autoreply,
)
from chatcore.errors import ConfigError
from chatcore.hours import WorkingHours

MOSCOW = ZoneInfo("Europe/Moscow")
WEEKDAYS_NINE_TO_SIX = {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
HOURS = WorkingHours.from_config(
    {"timezone": "Europe/Moscow", **WEEKDAYS_NINE_TO_SIX, "holidays": ["2027-01-01..2027-01-08"]}
)
OPEN = datetime(2026, 12, 14, 10, 0, tzinfo=MOSCOW)  # a Monday morning
CLOSED = datetime(2026, 12, 31, 21, 30, tzinfo=MOSCOW)  # New Year's Eve, next opening 11 January

RULES = load_autoreplies(
    [
        {
            "name": "after-hours",
            "when": "outside_hours",
            "channels": ["chat", "email"],
            "trigger": "new_conversation",
            "text": {
                "en": "Hello {contact_name}, {site_name} is closed. We open {next_open}.",
                "ru": "Здравствуйте, {contact_name}! {site_name} сейчас закрыт. Откроемся: {next_open}.",
            },
        },
        {
            "name": "daytime",
            "when": "inside_hours",
            "channels": ["chat"],
            "trigger": "visitor_message",
            "cooldown": "1h",
            "text": "An operator will answer within minutes.",
        },
        {
            "name": "nudge",
            "when": "always",
            "channels": ["email"],
            "trigger": "no_operator_reply",
            "after": "5m",
            "text": "We have your message and will reply soon.",
        },
    ]
)


def situation(at: datetime, channel: str, trigger: str, **facts: Any) -> AutoreplySituation:
    return AutoreplySituation(at=at, channel=Channel(channel), trigger=Trigger(trigger), **facts)


@pytest.mark.parametrize(
    ("facts", "rule", "reasons"),
    [
        pytest.param(
            situation(CLOSED, "email", "new_conversation"),
            "after-hours",
            ["after-hours: answers (outside hours, channel email, new conversation)"],
            id="new email after hours",
        ),
        pytest.param(
            situation(CLOSED, "chat", "visitor_message"),
            None,
            [
                "after-hours: skipped, it answers new conversations, this is a visitor message",
                "daytime: skipped, outside hours",
                "nudge: skipped, channel chat is not one of its channels (email)",
                "none: no rule answers",
            ],
            id="later chat message after hours",
        ),
        pytest.param(
            situation(OPEN, "chat", "new_conversation"),
            "daytime",
            [
                "after-hours: skipped, inside hours",
                "daytime: answers (inside hours, channel chat, new conversation)",
            ],
            id="a visitor_message rule answers the first message too",
        ),
        pytest.param(
            situation(OPEN, "email", "visitor_message"),
            None,
            [
                "after-hours: skipped, it answers new conversations, this is a visitor message",
                "daytime: skipped, channel email is not one of its channels (chat)",
                "nudge: skipped, it answers no operator reply after 5m, this is a visitor message",
                "none: no rule answers",
            ],
            id="email during hours",
        ),
        pytest.param(
            situation(OPEN, "email", "no_operator_reply", waiting_since=OPEN - timedelta(minutes=7)),
            "nudge",
            [
                "after-hours: skipped, it answers new conversations, this is a check for no operator reply",
                "daytime: skipped, channel email is not one of its channels (chat)",
                "nudge: answers (always, channel email, no operator reply for 7m)",
            ],
            id="no operator reply after 7 minutes",
        ),
        pytest.param(
            situation(OPEN, "email", "no_operator_reply", waiting_since=OPEN - timedelta(minutes=3)),
            None,
            [
                "after-hours: skipped, it answers new conversations, this is a check for no operator reply",
                "daytime: skipped, channel email is not one of its channels (chat)",
                "nudge: skipped, no operator reply for 3m, it waits 5m",
                "none: no rule answers",
            ],
            id="no operator reply too early",
        ),
        pytest.param(
            situation(
                CLOSED,
                "email",
                "new_conversation",
                is_automatic_mail=True,
                automatic_reason="Auto-Submitted: auto-replied",
            ),
            None,
            ["none: mail is automatic (Auto-Submitted: auto-replied)"],
            id="automatic mail is never answered",
        ),
        pytest.param(
            situation(CLOSED, "email", "new_conversation", is_automatic_mail=True),
            None,
            ["none: mail is automatic"],
            id="automatic mail without a reason",
        ),
        pytest.param(
            situation(CLOSED, "email", "new_conversation", autoreplies_last_hour=3),
            None,
            ["none: 3 autoreplies to this contact in the last hour, the cap is 3"],
            id="hourly cap reached",
        ),
        pytest.param(
            situation(CLOSED, "email", "new_conversation", autoreplies_last_hour=2),
            "after-hours",
            ["after-hours: answers (outside hours, channel email, new conversation)"],
            id="hourly cap not reached",
        ),
        pytest.param(
            situation(
                CLOSED,
                "email",
                "new_conversation",
                last_autoreply_at={"after-hours": datetime(2026, 12, 31, 9, 0, tzinfo=UTC)},
            ),
            None,
            [
                "after-hours: skipped, cooldown until 2026-12-31 21:00 UTC",
                "daytime: skipped, channel email is not one of its channels (chat)",
                "nudge: skipped, it answers no operator reply after 5m, this is a new conversation",
                "none: no rule answers",
            ],
            id="cooldown of the rule",
        ),
        pytest.param(
            situation(
                CLOSED,
                "email",
                "new_conversation",
                last_autoreply_at={"daytime": CLOSED - timedelta(minutes=1)},
            ),
            "after-hours",
            ["after-hours: answers (outside hours, channel email, new conversation)"],
            id="another rule's cooldown does not count",
        ),
    ],
)
def test_decide(facts: AutoreplySituation, rule: str | None, reasons: list[str]) -> None:
    verdict = decide(RULES, HOURS, facts)
    assert verdict.rule == rule
    assert list(verdict.reasons) == reasons


@pytest.mark.parametrize(
    ("since_last", "answers"),
    [
        pytest.param(timedelta(hours=12) - timedelta(seconds=1), False, id="one second before the end"),
        pytest.param(timedelta(hours=12), True, id="exactly at the end"),
        pytest.param(timedelta(days=3), True, id="long after"),
    ],
)
def test_cooldown_boundary(since_last: timedelta, answers: bool) -> None:
    facts = situation(
        CLOSED, "chat", "new_conversation", last_autoreply_at={"after-hours": CLOSED - since_last}
    )
    assert (decide(RULES, HOURS, facts).rule == "after-hours") is answers


@pytest.mark.parametrize(
    ("sent", "cap", "answers"),
    [(0, 3, True), (2, 3, True), (3, 3, False), (7, 3, False), (3, 5, True), (0, 0, False)],
)
def test_hourly_cap(sent: int, cap: int, answers: bool) -> None:
    facts = situation(CLOSED, "chat", "new_conversation", autoreplies_last_hour=sent)
    assert (decide(RULES, HOURS, facts, hourly_cap=cap).rule is not None) is answers


def test_verdict_carries_open_state_and_next_opening() -> None:
    closed = decide(RULES, HOURS, situation(CLOSED, "email", "new_conversation"))
    assert (closed.open_now, closed.next_open) == (False, datetime(2027, 1, 11, 9, 0, tzinfo=MOSCOW))
    during = decide(RULES, HOURS, situation(OPEN, "chat", "new_conversation"))
    assert (during.open_now, during.next_open) == (True, OPEN)


def test_no_rules_says_so() -> None:
    verdict = decide([], HOURS, situation(CLOSED, "chat", "new_conversation"))
    assert verdict.reasons == ("none: no autoreply rules are configured",)


def test_without_hours_only_always_and_inside_rules_answer() -> None:
    hours = WorkingHours.always_open()
    verdict = decide(RULES, hours, situation(CLOSED, "chat", "new_conversation"))
    assert verdict.rule == "daytime"
    assert verdict.reasons[0] == "after-hours: skipped, inside hours"


@pytest.mark.parametrize(
    ("texts", "language", "expected"),
    [
        pytest.param({"en": "hi", "ru": "привет"}, "ru", "привет", id="exact"),
        pytest.param({"en": "hi", "ru": "привет"}, "ru-RU", "привет", id="region to base"),
        pytest.param({"en": "hi", "ru": "привет"}, "RU", "привет", id="case"),
        pytest.param({"en": "hi", "ru": "привет"}, "de", "hi", id="unknown to english"),
        pytest.param({"ru": "привет", "de": "hallo"}, "fr", "привет", id="no english to the first"),
        pytest.param({"pt-br": "olá", "en": "hi"}, "pt-BR", "olá", id="region kept when listed"),
        pytest.param("hi", "ru", "hi", id="plain string is for everyone"),
    ],
)
def test_text_for_language_fallback(texts: object, language: str, expected: str) -> None:
    rule = AutoreplyRule.from_config(
        {"name": "r", "when": "always", "trigger": "new_conversation", "text": texts}, 0
    )
    assert rule.text_for(language) == expected


@pytest.mark.parametrize(
    ("language", "next_open", "expected"),
    [
        pytest.param(
            "en",
            datetime(2027, 1, 11, 9, 0, tzinfo=MOSCOW),
            "Hello Anna {x}, Acme is closed. We open Monday 11 January 2027 at 09:00.",
            id="en with a date",
        ),
        pytest.param(
            "ru",
            datetime(2027, 1, 1, 9, 0, tzinfo=MOSCOW),
            "Здравствуйте, Anna {x}! Acme сейчас закрыт. Откроемся: завтра в 09:00.",
            id="ru tomorrow",
        ),
        pytest.param(
            "de",
            datetime(2026, 12, 31, 23, 0, tzinfo=MOSCOW),
            "Hello Anna {x}, Acme is closed. We open today at 23:00.",
            id="other language gets the english text and date",
        ),
        pytest.param(
            "ru",
            None,
            "Здравствуйте, Anna {x}! Acme сейчас закрыт. Откроемся: в ближайшее время.",
            id="no opening known",
        ),
    ],
)
def test_render(language: str, next_open: datetime | None, expected: str) -> None:
    text = render(
        RULES[0],
        language,
        contact_name="Anna {x}",
        site_name="Acme",
        next_open=next_open,
        hours=HOURS,
        now=CLOSED,
    )
    assert text == expected


def test_explain_when_a_rule_answers() -> None:
    assert explain(RULES, HOURS, CLOSED, Channel.EMAIL, new_conversation=True) == "\n".join(
        [
            "At 2026-12-31 21:30 Europe/Moscow (2026-12-31 18:30 UTC), channel email, new conversation:",
            "Closed now, opens Monday 11 January 2027 at 09:00.",
            "after-hours: answers (outside hours, channel email, new conversation)",
            'Answer: rule "after-hours".',
        ]
    )


def test_explain_when_none_answers() -> None:
    assert explain(RULES, HOURS, OPEN, Channel.EMAIL, new_conversation=False) == "\n".join(
        [
            "At 2026-12-14 10:00 Europe/Moscow (2026-12-14 07:00 UTC), channel email, visitor message:",
            "Open now, closes today at 18:00.",
            "after-hours: skipped, it answers new conversations, this is a visitor message",
            "daytime: skipped, channel email is not one of its channels (chat)",
            "nudge: skipped, it answers no operator reply after 5m, this is a visitor message",
            "none: no rule answers",
            "Answer: no autoreply.",
        ]
    )


def test_a_full_rule_and_its_defaults() -> None:
    nudge, plain = RULES[2], RULES[1]
    assert (nudge.when, nudge.trigger, nudge.channels) == (
        When.ALWAYS,
        Trigger.NO_OPERATOR_REPLY,
        (Channel.EMAIL,),
    )
    assert (nudge.after, nudge.cooldown) == (timedelta(minutes=5), timedelta(hours=12))
    assert (plain.after, plain.cooldown) == (None, timedelta(hours=1))
    minimal = AutoreplyRule.from_config(
        {"name": "m", "when": "always", "trigger": "visitor_message", "text": "x"}, 0
    )
    assert minimal.channels == (Channel.CHAT, Channel.EMAIL)
    assert minimal.texts == (("en", "x"),)


VALID = {"name": "after-hours", "when": "outside_hours", "trigger": "new_conversation", "text": "Closed."}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            {"when": "night"},
            '[[autoreply]][0].when: must be one of "inside_hours", "outside_hours", "always", got "night"',
            id="when",
        ),
        pytest.param(
            {"when": None},
            '[[autoreply]][0].when: is required: one of "inside_hours", "outside_hours", "always"',
            id="when missing",
        ),
        pytest.param(
            {"trigger": "reply"},
            '[[autoreply]][0].trigger: must be one of "new_conversation", "visitor_message", '
            '"no_operator_reply", got "reply"',
            id="trigger",
        ),
        pytest.param({"name": None}, "[[autoreply]][0].name: is required", id="name missing"),
        pytest.param(
            {"name": " "}, '[[autoreply]][0].name: must be a non-empty string, got " "', id="name blank"
        ),
        pytest.param(
            {"channels": ["chat", "sms"]},
            '[[autoreply]][0].channels: "sms" is not a channel; use "chat" or "email"',
            id="channel",
        ),
        pytest.param(
            {"channels": []},
            '[[autoreply]][0].channels: must name at least one channel: "chat" or "email"',
            id="no channel",
        ),
        pytest.param(
            {"channels": "chat"},
            '[[autoreply]][0].channels: must be a list like ["chat", "email"], got "chat"',
            id="channels not a list",
        ),
        pytest.param(
            {"cooldown": "12 hours"},
            '[[autoreply]][0].cooldown: is not a duration like "90s", "5m", "12h" or "2d", got \'12 hours\'',
            id="cooldown",
        ),
        pytest.param(
            {"cooldown": 12},
            '[[autoreply]][0].cooldown: must be a duration like "5m" or "12h", got 12',
            id="cooldown a number",
        ),
        pytest.param(
            {"trigger": "no_operator_reply"},
            '[[autoreply]][0].after: is required for trigger "no_operator_reply"',
            id="after missing",
        ),
        pytest.param(
            {"after": "5m"},
            '[[autoreply]][0].after: only applies to trigger "no_operator_reply"',
            id="after with another trigger",
        ),
        pytest.param(
            {"trigger": "no_operator_reply", "after": "soon"},
            '[[autoreply]][0].after: is not a duration like "90s", "5m", "12h" or "2d", got \'soon\'',
            id="after not a duration",
        ),
        pytest.param({"text": None}, "[[autoreply]][0].text: is required", id="text missing"),
        pytest.param({"text": "  "}, "[[autoreply]][0].text: must not be empty", id="text empty"),
        pytest.param(
            {"text": "Hi {name}"},
            '[[autoreply]][0].text: unknown variable "{name}"; the variables are '
            "{contact_name}, {next_open}, {site_name}",
            id="unknown variable",
        ),
        pytest.param(
            {"text": {"en": "ok", "ru": "Открываемся {when}"}},
            '[[autoreply]][0].text.ru: unknown variable "{when}"; the variables are '
            "{contact_name}, {next_open}, {site_name}",
            id="unknown variable in one language",
        ),
        pytest.param(
            {"text": "We open {}"},
            '[[autoreply]][0].text: unknown variable "{}"; the variables are '
            "{contact_name}, {next_open}, {site_name}",
            id="empty braces",
        ),
        pytest.param(
            {"text": "We open {next_open!r}"},
            '[[autoreply]][0].text: "{next_open}" takes no format; write it plainly as {next_open}',
            id="conversion",
        ),
        pytest.param(
            {"text": "Price {1"},
            '[[autoreply]][0].text: has an unmatched "{" or "}"; write "{{" or "}}" for a brace',
            id="unmatched brace",
        ),
        pytest.param(
            {"text": {"english": "hi"}},
            '[[autoreply]][0].text: "english" is not a language code like "en" or "ru"',
            id="bad language",
        ),
        pytest.param(
            {"text": {}},
            "[[autoreply]][0].text: must be a string, "
            'or a table of languages like { en = "...", ru = "..." }',
            id="empty table",
        ),
        pytest.param(
            {"text": {"en": 5}}, "[[autoreply]][0].text.en: must be a string, got 5", id="text not str"
        ),
        pytest.param({"channel": ["chat"]}, '[[autoreply]][0]: unknown key "channel"', id="unknown key"),
    ],
)
def test_each_config_error(change: dict[str, object], expected: str) -> None:
    table = {key: value for key, value in {**VALID, **change}.items() if value is not None}
    assert [str(problem) for problem in validate_autoreply(table, 0)] == [expected]
    with pytest.raises(ConfigError) as raised:
        AutoreplyRule.from_config(table, 0)
    assert str(raised.value) == expected


def test_literal_braces_are_allowed() -> None:
    rule = AutoreplyRule.from_config({**VALID, "text": "Use {{ticket}} in {site_name}"}, 0)
    text = render(rule, "en", contact_name="", site_name="Acme", next_open=None, hours=HOURS, now=CLOSED)
    assert text == "Use {ticket} in Acme"


def test_every_problem_of_every_rule_is_collected() -> None:
    tables = [
        {**VALID, "name": "night", "when": "night", "text": "{name}"},
        VALID,
        {**VALID, "channels": ["sms"]},
        "not a table",
    ]
    assert [str(problem) for problem in validate_autoreplies(tables)] == [
        '[[autoreply]][0].when: must be one of "inside_hours", "outside_hours", "always", got "night"',
        '[[autoreply]][0].text: unknown variable "{name}"; '
        "the variables are {contact_name}, {next_open}, {site_name}",
        '[[autoreply]][2].channels: "sms" is not a channel; use "chat" or "email"',
        '[[autoreply]][2].name: "after-hours" is already the name of [[autoreply]][1]',
        '[[autoreply]][3]: must be a table, got "not a table"',
    ]
    with pytest.raises(ConfigError, match=r"^\[\[autoreply\]\]\[0\]\.when"):
        load_autoreplies(tables)


def test_autoreply_must_be_an_array_of_tables() -> None:
    assert [str(problem) for problem in validate_autoreplies({"name": "x"})] == [
        "[[autoreply]]: must be an array of tables, each starting with [[autoreply]]"
    ]
    assert load_autoreplies([]) == ()
