"""`[[autoreply]]` tables into rules, every problem named by its key."""

from __future__ import annotations

import pytest

from chatcore.autoreply import AutoreplyRule, load_autoreplies, validate_autoreplies, validate_autoreply
from chatcore.errors import ConfigError

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
