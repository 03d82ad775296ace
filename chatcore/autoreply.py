"""Autoreply rules from `[[autoreply]]` in config.toml, and the verdict on whether one answers.

`decide` is pure: the caller gathers the facts (time, channel, trigger, automatic mail, when each rule last
answered this contact, how many autoreplies went to them in the last hour) and stores the verdict's reasons
with the visitor message, so the inbox can show why an autoreply was or was not sent.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from chatcore.errors import ConfigError
from chatcore.hours import WorkingHours
from chatcore.hours import show_value as _show
from chatcore.units import format_duration, parse_duration

VARIABLES = ("contact_name", "next_open", "site_name")
DEFAULT_COOLDOWN = timedelta(hours=12)
DEFAULT_HOURLY_CAP = 3
RULE_KEYS = frozenset({"name", "when", "channels", "trigger", "after", "cooldown", "text"})
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]+)*$")
_Choice = TypeVar("_Choice", bound=StrEnum)


class When(StrEnum):
    INSIDE_HOURS = "inside_hours"
    OUTSIDE_HOURS = "outside_hours"
    ALWAYS = "always"


class Trigger(StrEnum):
    NEW_CONVERSATION = "new_conversation"  # the first visitor message of a conversation
    VISITOR_MESSAGE = "visitor_message"  # any visitor message, the first one included
    NO_OPERATOR_REPLY = "no_operator_reply"  # a visitor message unanswered for `after`


class Channel(StrEnum):
    CHAT = "chat"
    EMAIL = "email"


@dataclass(frozen=True)
class AutoreplyRule:
    name: str
    when: When
    trigger: Trigger
    texts: tuple[tuple[str, str], ...]  # (language, text) in config order; "en" for a plain string
    channels: tuple[Channel, ...] = (Channel.CHAT, Channel.EMAIL)
    cooldown: timedelta = DEFAULT_COOLDOWN
    after: timedelta | None = None  # only for Trigger.NO_OPERATOR_REPLY

    @classmethod
    def from_config(cls, table: Mapping[str, object], index: int) -> AutoreplyRule:
        """Build from one `[[autoreply]]` table; raise the first problem (`validate_autoreply` lists all)."""
        rule, problems = _parse_rule(table, index)
        if problems:
            raise problems[0]
        assert rule is not None
        return rule

    def language_for(self, language: str) -> str:
        """The text language used for a contact: theirs, its base ("ru" for "ru-RU"), "en", else the first."""
        wanted = language.lower().replace("_", "-")
        available = [lang for lang, _ in self.texts]
        for candidate in (wanted, wanted.split("-")[0], "en"):
            if candidate in available:
                return candidate
        return available[0]

    def text_for(self, language: str) -> str:
        return dict(self.texts)[self.language_for(language)]


@dataclass(frozen=True)
class AutoreplySituation:
    at: datetime
    channel: Channel
    trigger: Trigger
    is_automatic_mail: bool = False  # auto-submitted, bounce, list, loop: never answered
    automatic_reason: str | None = None  # e.g. "Auto-Submitted: auto-replied"
    last_autoreply_at: Mapping[str, datetime] = field(default_factory=dict, hash=False)  # rule name -> time
    autoreplies_last_hour: int = 0  # to this recipient, for the overall cap
    waiting_since: datetime | None = None  # the unanswered visitor message, for NO_OPERATOR_REPLY


@dataclass(frozen=True)
class Verdict:
    rule: str | None  # the rule that answers, or None
    open_now: bool
    next_open: datetime | None
    reasons: tuple[str, ...]  # one line per rule considered, and a "none: ..." line when none answers


def decide(
    rules: Sequence[AutoreplyRule],
    hours: WorkingHours,
    situation: AutoreplySituation,
    *,
    hourly_cap: int = DEFAULT_HOURLY_CAP,
) -> Verdict:
    """The first rule, in config order, that answers this situation; every rule considered gets a reason."""
    open_now = hours.is_open(situation.at)
    next_open = hours.next_open(situation.at)
    blocked = _blocked(rules, situation, hourly_cap)
    if blocked is not None:
        return Verdict(None, open_now, next_open, (blocked,))
    reasons = []
    for rule in rules:
        refusal = _refusal(rule, situation, open_now)
        if refusal is None:
            reasons.append(f"{rule.name}: answers ({_grounds(rule, situation)})")
            return Verdict(rule.name, open_now, next_open, tuple(reasons))
        reasons.append(f"{rule.name}: skipped, {refusal}")
    reasons.append("none: no rule answers")
    return Verdict(None, open_now, next_open, tuple(reasons))


def render(
    rule: AutoreplyRule,
    language: str,
    *,
    contact_name: str,
    site_name: str,
    next_open: datetime | None,
    hours: WorkingHours,
    now: datetime,
) -> str:
    """The autoreply text in the contact's language (see `language_for`), variables filled in."""
    text_language = rule.language_for(language)
    if next_open is None:
        opening = "в ближайшее время" if text_language == "ru" else "soon"
    else:
        opening = hours.format_moment(next_open, now=now, language=text_language)
    template = rule.text_for(text_language)
    return template.format(contact_name=contact_name, next_open=opening, site_name=site_name)


def explain(
    rules: Sequence[AutoreplyRule],
    hours: WorkingHours,
    at: datetime,
    channel: Channel,
    new_conversation: bool,
    *,
    language: str = "en",
) -> str:
    """What `relaydesk autoreply explain` prints: open or closed, next opening, which rule answers, why."""
    trigger = Trigger.NEW_CONVERSATION if new_conversation else Trigger.VISITOR_MESSAGE
    verdict = decide(rules, hours, AutoreplySituation(at=at, channel=channel, trigger=trigger))
    local = hours.local(at)
    lines = [
        f"At {local:%Y-%m-%d %H:%M} {hours.timezone_name} ({_utc_text(at)}), "
        f"channel {channel}, {_TRIGGER_NOUNS[trigger]}:",
        _capitalized(hours.describe(at, language)) + ".",
        *verdict.reasons,
        f'Answer: rule "{verdict.rule}".' if verdict.rule else "Answer: no autoreply.",
    ]
    return "\n".join(lines)


def validate_autoreply(table: Mapping[str, object], index: int) -> list[ConfigError]:
    """Every problem in one `[[autoreply]]` table; empty when it is fine."""
    return _parse_rule(table, index)[1]


def validate_autoreplies(tables: object) -> list[ConfigError]:
    """Every problem in the whole `[[autoreply]]` array, duplicate names included."""
    return _parse_rules(tables)[1]


def load_autoreplies(tables: object) -> tuple[AutoreplyRule, ...]:
    """The rules of the `[[autoreply]]` array (pass `[]` when absent); raise the first problem."""
    rules, problems = _parse_rules(tables)
    if problems:
        raise problems[0]
    return rules


# -- evaluation ------------------------------------------------------------------------------------------


_TRIGGER_NOUNS = MappingProxyType(
    {
        Trigger.NEW_CONVERSATION: "new conversation",
        Trigger.VISITOR_MESSAGE: "visitor message",
        Trigger.NO_OPERATOR_REPLY: "no operator reply",
    }
)
_SITUATION_NOUNS = MappingProxyType(
    {
        Trigger.NEW_CONVERSATION: "a new conversation",
        Trigger.VISITOR_MESSAGE: "a visitor message",
        Trigger.NO_OPERATOR_REPLY: "a check for no operator reply",
    }
)
_WHEN_WORDS = MappingProxyType(
    {When.INSIDE_HOURS: "inside hours", When.OUTSIDE_HOURS: "outside hours", When.ALWAYS: "always"}
)


def _blocked(rules: Sequence[AutoreplyRule], situation: AutoreplySituation, hourly_cap: int) -> str | None:
    """A reason that stops every rule at once, or None."""
    if situation.is_automatic_mail:
        cause = f" ({situation.automatic_reason})" if situation.automatic_reason else ""
        return f"none: mail is automatic{cause}"
    if not rules:
        return "none: no autoreply rules are configured"
    if situation.autoreplies_last_hour >= hourly_cap:
        count = situation.autoreplies_last_hour
        return f"none: {count} autoreplies to this contact in the last hour, the cap is {hourly_cap}"
    return None


def _refusal(rule: AutoreplyRule, situation: AutoreplySituation, open_now: bool) -> str | None:
    """Why this rule does not answer, or None when it does."""
    if situation.channel not in rule.channels:
        allowed = ", ".join(rule.channels)
        return f"channel {situation.channel} is not one of its channels ({allowed})"
    trigger_refusal = _trigger_refusal(rule, situation)
    if trigger_refusal is not None:
        return trigger_refusal
    if rule.when is When.INSIDE_HOURS and not open_now:
        return "outside hours"
    if rule.when is When.OUTSIDE_HOURS and open_now:
        return "inside hours"
    last = situation.last_autoreply_at.get(rule.name)
    if last is not None and situation.at < last + rule.cooldown:
        return f"cooldown until {_utc_text(last + rule.cooldown)}"
    return None


def _trigger_refusal(rule: AutoreplyRule, situation: AutoreplySituation) -> str | None:
    matches = rule.trigger is situation.trigger or (
        rule.trigger is Trigger.VISITOR_MESSAGE and situation.trigger is Trigger.NEW_CONVERSATION
    )
    if not matches:
        return f"it answers {_trigger_text(rule)}, this is {_SITUATION_NOUNS[situation.trigger]}"
    if rule.trigger is not Trigger.NO_OPERATOR_REPLY or rule.after is None:
        return None
    if situation.waiting_since is None:
        return "the time of the unanswered visitor message is unknown"
    waited = situation.at - situation.waiting_since
    if waited < rule.after:
        return f"no operator reply for {_duration_text(waited)}, it waits {format_duration(rule.after)}"
    return None


def _grounds(rule: AutoreplyRule, situation: AutoreplySituation) -> str:
    trigger = _TRIGGER_NOUNS[situation.trigger]
    if situation.trigger is Trigger.NO_OPERATOR_REPLY and situation.waiting_since is not None:
        trigger = f"no operator reply for {_duration_text(situation.at - situation.waiting_since)}"
    return f"{_WHEN_WORDS[rule.when]}, channel {situation.channel}, {trigger}"


def _trigger_text(rule: AutoreplyRule) -> str:
    if rule.trigger is Trigger.NEW_CONVERSATION:
        return "new conversations"
    if rule.trigger is Trigger.VISITOR_MESSAGE:
        return "visitor messages"
    return f"no operator reply after {format_duration(rule.after or timedelta())}"


def _duration_text(value: timedelta) -> str:
    return format_duration(timedelta(seconds=max(0, int(value.total_seconds()))))


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _utc_text(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


# -- parsing ---------------------------------------------------------------------------------------------


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
        rule, rule_problems = _parse_rule(table, index)
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


def _parse_rule(table: Mapping[str, object], index: int) -> tuple[AutoreplyRule | None, list[ConfigError]]:
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
