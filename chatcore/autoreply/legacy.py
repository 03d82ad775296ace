"""Verdict sentences stored in English before verdict codes existed, read back into codes.

Used once, by the migration that converts stored verdicts; a sentence that matches none of the old
forms becomes a `legacy` reason that keeps its text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from chatcore.autoreply.reasons import Code, Reason, reason
from chatcore.units import parse_duration

_RULE = r"(?P<rule>.+?)"
_DURATION = r"\d+[smhdw]|\d+ (?:second|minute|hour|day|week)s?"  # as written before codes, and by downgrade
_WORDS = {"second": "s", "minute": "m", "hour": "h", "day": "d", "week": "w"}
_WHEN = {"inside hours": "inside_hours", "outside hours": "outside_hours", "always": "always"}
_SITUATION = {
    "new conversation": "new_conversation",
    "visitor message": "visitor_message",
    "no operator reply": "no_operator_reply",
}
_ANSWERS = {"new conversations": "new_conversation", "visitor messages": "visitor_message"}
_THIS_IS = {
    "a new conversation": "new_conversation",
    "a visitor message": "visitor_message",
    "a check for no operator reply": "no_operator_reply",
}


def reason_from_sentence(text: str) -> Reason:
    for pattern, build in _FORMS:
        match = pattern.fullmatch(text)
        if match is not None:
            found = build(match.groupdict())
            if found is not None:
                return found
    return reason(Code.LEGACY, text=text)


def _seconds(text: str) -> int:
    count, _, unit = text.partition(" ")
    short = f"{count}{_WORDS[unit.removesuffix('s')]}" if unit else text
    return int(parse_duration(short).total_seconds())


def _answers(args: dict[str, str]) -> Reason | None:
    trigger, waited = args["trigger"], None
    if trigger.startswith("no operator reply for "):
        trigger, waited = "no operator reply", _seconds(trigger.removeprefix("no operator reply for "))
    if args["when"] not in _WHEN or trigger not in _SITUATION:
        return None
    found = {"rule": args["rule"], "when": _WHEN[args["when"]], "channel": args["channel"]}
    found["trigger"] = _SITUATION[trigger]
    return reason(Code.ANSWERS, **found, **({"waited": waited} if waited is not None else {}))


def _other_trigger(args: dict[str, str]) -> Reason | None:
    answers, after = args["answers"], None
    if answers.startswith("no operator reply after "):
        answers, after = "no_operator_reply", _seconds(answers.removeprefix("no operator reply after "))
    else:
        answers = _ANSWERS.get(answers, "")
    if not answers or args["this"] not in _THIS_IS:
        return None
    return reason(
        Code.OTHER_TRIGGER, rule=args["rule"], answers=answers, after=after, trigger=_THIS_IS[args["this"]]
    )


def _cooldown(args: dict[str, str]) -> Reason:
    until = datetime.strptime(args["until"], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    return reason(Code.COOLDOWN, rule=args["rule"], until=until.isoformat())


def _automatic(args: dict[str, str]) -> Reason:
    return reason(Code.AUTOMATIC, reason=args["reason"] or "")


_Build = Callable[[dict[str, str]], Reason | None]
_FORMS: tuple[tuple[re.Pattern[str], _Build], ...] = (
    (
        re.compile(rf"{_RULE}: answers \((?P<when>[^,]+), channel (?P<channel>\w+), (?P<trigger>[^)]+)\)"),
        _answers,
    ),
    (
        re.compile(
            rf"{_RULE}: skipped, channel (?P<channel>\w+) is not one of its channels \((?P<allowed>[^)]*)\)"
        ),
        lambda a: reason(
            Code.OTHER_CHANNEL, rule=a["rule"], channel=a["channel"], allowed=a["allowed"].split(", ")
        ),
    ),
    (re.compile(rf"{_RULE}: skipped, it answers (?P<answers>.+), this is (?P<this>.+)"), _other_trigger),
    (
        re.compile(rf"{_RULE}: skipped, the time of the unanswered visitor message is unknown"),
        lambda a: reason(Code.WAITING_UNKNOWN, rule=a["rule"]),
    ),
    (
        re.compile(
            rf"{_RULE}: skipped, no operator reply for (?P<waited>{_DURATION}), "
            rf"it waits (?P<after>{_DURATION})"
        ),
        lambda a: reason(
            Code.TOO_EARLY, rule=a["rule"], waited=_seconds(a["waited"]), after=_seconds(a["after"])
        ),
    ),
    (re.compile(rf"{_RULE}: skipped, outside hours"), lambda a: reason(Code.OUTSIDE_HOURS, rule=a["rule"])),
    (re.compile(rf"{_RULE}: skipped, inside hours"), lambda a: reason(Code.INSIDE_HOURS, rule=a["rule"])),
    (re.compile(rf"{_RULE}: skipped, cooldown until (?P<until>\d{{4}}-\d\d-\d\d \d\d:\d\d) UTC"), _cooldown),
    (re.compile(r"none: mail is automatic(?: \((?P<reason>.*)\))?"), _automatic),
    (re.compile(r"none: no autoreply rules are configured"), lambda a: reason(Code.NO_RULES)),
    (
        re.compile(
            r"none: (?P<count>\d+) autoreplies to this contact in the last hour, the cap is (?P<cap>\d+)"
        ),
        lambda a: reason(Code.HOURLY_CAP, count=int(a["count"]), cap=int(a["cap"])),
    ),
    (re.compile(r"none: no rule answers"), lambda a: reason(Code.NO_ANSWER)),
)
