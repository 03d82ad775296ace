"""`[[autoreply]]` tables of config.toml into rules, with every problem named by its key."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from typing import TypeVar

from chatcore.autoreply.rules import AutoreplyRule, Channel, Trigger, When
from chatcore.errors import ConfigError
from chatcore.hours import show_value as _show
from chatcore.units import parse_duration

VARIABLES = ("contact_name", "next_open", "site_name")
RULE_KEYS = frozenset({"name", "when", "channels", "trigger", "after", "cooldown", "text"})
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]+)*$")
_Choice = TypeVar("_Choice", bound=StrEnum)


def validate_autoreply(table: Mapping[str, object], index: int) -> list[ConfigError]:
    """Every problem in one `[[autoreply]]` table; empty when it is fine."""
    return parse_rule(table, index)[1]


def validate_autoreplies(tables: object) -> list[ConfigError]:
    """Every problem in the whole `[[autoreply]]` array, duplicate names included."""
    return _parse_rules(tables)[1]


def load_autoreplies(tables: object) -> tuple[AutoreplyRule, ...]:
    """The rules of the `[[autoreply]]` array (pass `[]` when absent); raise the first problem."""
    rules, problems = _parse_rules(tables)
    if problems:
        raise problems[0]
    return rules


def _parse_rules(tables: object) -> tuple[tuple[AutoreplyRule, ...], list[ConfigError]]:
    if not isinstance(tables, list):
        problem = "must be an array of tables, each starting with [[autoreply]]"
        return (), [ConfigError("[[autoreply]]", problem)]
    rules: list[AutoreplyRule] = []
    problems: list[ConfigError] = []
    first_index: dict[str, int] = {}
    for index, table in enumerate(tables):
        if not isinstance(table, Mapping):
            problems.append(ConfigError(_key(index), f"must be a table, got {_show(table)}"))
            continue
        rule, rule_problems = parse_rule(table, index)
        problems += rule_problems
        name = table.get("name")
        if isinstance(name, str) and name in first_index:
            used = f"[[autoreply]][{first_index[name]}]"
            problems.append(ConfigError(f"{_key(index)}.name", f'"{name}" is already the name of {used}'))
        elif isinstance(name, str):
            first_index[name] = index
        if rule is not None:
            rules.append(rule)
    return tuple(rules), problems


def parse_rule(table: Mapping[str, object], index: int) -> tuple[AutoreplyRule | None, list[ConfigError]]:
    key = _key(index)
    problems = [ConfigError(key, f'unknown key "{name}"') for name in table if name not in RULE_KEYS]
    name = _parse_name(key, table.get("name"), problems)
    when = _parse_choice(f"{key}.when", table.get("when"), When, problems)
    trigger = _parse_choice(f"{key}.trigger", table.get("trigger"), Trigger, problems)
    channels = _parse_channels(f"{key}.channels", table.get("channels", ["chat", "email"]), problems)
    cooldown = _parse_duration(f"{key}.cooldown", table.get("cooldown", "12h"), problems)
    after = _parse_after(key, table.get("after"), trigger, problems)
    texts = _parse_texts(f"{key}.text", table.get("text"), problems)
    if problems or name is None or when is None or trigger is None or cooldown is None:
        return None, problems
    rule = AutoreplyRule(name, when, trigger, texts, channels, cooldown, after)
    return rule, []


def _key(index: int) -> str:
    return f"[[autoreply]][{index}]"


def _parse_name(key: str, value: object, problems: list[ConfigError]) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    problem = "is required" if value is None else f"must be a non-empty string, got {_show(value)}"
    problems.append(ConfigError(f"{key}.name", problem))
    return None


def _parse_choice(
    key: str, value: object, kind: type[_Choice], problems: list[ConfigError]
) -> _Choice | None:
    choices = ", ".join(f'"{member}"' for member in kind)
    if value is None:
        problems.append(ConfigError(key, f"is required: one of {choices}"))
        return None
    if isinstance(value, str) and value in kind._value2member_map_:
        return kind(value)
    problems.append(ConfigError(key, f"must be one of {choices}, got {_show(value)}"))
    return None


def _parse_channels(key: str, value: object, problems: list[ConfigError]) -> tuple[Channel, ...]:
    if not isinstance(value, list):
        problems.append(ConfigError(key, f'must be a list like ["chat", "email"], got {_show(value)}'))
        return ()
    if not value:
        problems.append(ConfigError(key, 'must name at least one channel: "chat" or "email"'))
        return ()
    channels = []
    for item in value:
        if isinstance(item, str) and item in Channel._value2member_map_:
            channels.append(Channel(item))
        else:
            problems.append(ConfigError(key, f'{_show(item)} is not a channel; use "chat" or "email"'))
    return tuple(dict.fromkeys(channels))


def _parse_duration(key: str, value: object, problems: list[ConfigError]) -> timedelta | None:
    if not isinstance(value, str):
        problems.append(ConfigError(key, f'must be a duration like "5m" or "12h", got {_show(value)}'))
        return None
    try:
        return parse_duration(value)
    except ValueError as error:
        problems.append(ConfigError(key, str(error)))
        return None


def _parse_after(
    key: str, value: object, trigger: Trigger | None, problems: list[ConfigError]
) -> timedelta | None:
    if trigger is Trigger.NO_OPERATOR_REPLY and value is None:
        problems.append(ConfigError(f"{key}.after", 'is required for trigger "no_operator_reply"'))
        return None
    if value is None:
        return None
    if trigger is not None and trigger is not Trigger.NO_OPERATOR_REPLY:
        problems.append(ConfigError(f"{key}.after", 'only applies to trigger "no_operator_reply"'))
        return None
    return _parse_duration(f"{key}.after", value, problems)


def _parse_texts(key: str, value: object, problems: list[ConfigError]) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str):
        return (("en", value),) if _check_template(key, value, problems) else ()
    if not isinstance(value, Mapping) or not value:
        example = 'a string, or a table of languages like { en = "...", ru = "..." }'
        problems.append(ConfigError(key, "is required" if value is None else f"must be {example}"))
        return ()
    texts = []
    for language, text in value.items():
        if not isinstance(language, str) or not _LANGUAGE.match(language.lower()):
            problems.append(ConfigError(key, f'{_show(language)} is not a language code like "en" or "ru"'))
        elif not isinstance(text, str):
            problems.append(ConfigError(f"{key}.{language}", f"must be a string, got {_show(text)}"))
        elif _check_template(f"{key}.{language}", text, problems):
            texts.append((language.lower(), text))
    return tuple(texts)


def _check_template(key: str, text: str, problems: list[ConfigError]) -> bool:
    """True when the text is non-empty and uses only the known variables, plainly."""
    if not text.strip():
        problems.append(ConfigError(key, "must not be empty"))
        return False
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)]
    except ValueError:
        problems.append(ConfigError(key, 'has an unmatched "{" or "}"; write "{{" or "}}" for a brace'))
        return False
    known = ", ".join(f"{{{name}}}" for name in VARIABLES)
    fine = True
    for name, spec, conversion in fields:
        if name is None:
            continue
        if name not in VARIABLES:
            problems.append(ConfigError(key, f'unknown variable "{{{name}}}"; the variables are {known}'))
            fine = False
        elif spec or conversion:
            problems.append(ConfigError(key, f'"{{{name}}}" takes no format; write it plainly as {{{name}}}'))
            fine = False
    return fine
