"""Verdict codes and rules in words, through a gettext catalog (English when it is `NullTranslations`).

Russian nouns cannot follow a duration in every case, so durations stand where the nominative fits
("срок: 5 минут"); names of rules and people likewise stand after a colon or in quotes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from gettext import NullTranslations

from chatcore.autoreply.reasons import Code, Reason
from chatcore.autoreply.rules import AutoreplyRule, Trigger

_UNITS = (604800, 86400, 3600, 60)  # a week, a day, an hour, a minute


def reason_text(stored: Reason | object, t: NullTranslations) -> str:
    """One line for people: a stored reason (its JSON, or a `Reason`) in the catalog's language."""
    found = stored if isinstance(stored, Reason) else Reason.from_json(stored)
    args = found.args
    if found.code is Code.LEGACY:
        return _text(args, "text")
    if found.code in _NONE:
        return _none_text(found.code, args, t)
    return _rule_reason_text(found.code, args, t)


def duration_text(seconds: int, t: NullTranslations) -> str:
    """ "5 minutes", "12 hours": the largest unit that divides the duration, plural by the catalog."""
    for unit in _UNITS:
        if seconds and seconds % unit == 0:
            return _in_unit(unit, seconds // unit, t) % {"count": seconds // unit}
    return t.ngettext("%(count)s second", "%(count)s seconds", seconds) % {"count": seconds}


def _in_unit(unit: int, count: int, t: NullTranslations) -> str:
    if unit == _UNITS[0]:
        return t.ngettext("%(count)s week", "%(count)s weeks", count)
    if unit == _UNITS[1]:
        return t.ngettext("%(count)s day", "%(count)s days", count)
    if unit == _UNITS[2]:
        return t.ngettext("%(count)s hour", "%(count)s hours", count)
    return t.ngettext("%(count)s minute", "%(count)s minutes", count)


def channel_text(channel: str, t: NullTranslations) -> str:
    if channel == "chat":
        return t.pgettext("channel", "chat")
    if channel == "email":
        return t.pgettext("channel", "email")
    return channel


def when_text(when: str, t: NullTranslations) -> str:
    if when == "inside_hours":
        return t.pgettext("rule answers", "inside hours")
    if when == "outside_hours":
        return t.pgettext("rule answers", "outside hours")
    return t.pgettext("rule answers", "always")


def situation_text(trigger: str, t: NullTranslations, waited: int | None = None) -> str:
    """What happened, as the verdict names it: "new conversation", "no operator reply for 7 minutes"."""
    if trigger == Trigger.NEW_CONVERSATION:
        return t.pgettext("situation", "new conversation")
    if trigger == Trigger.VISITOR_MESSAGE:
        return t.pgettext("situation", "visitor message")
    if waited is None:
        return t.pgettext("situation", "no operator reply")
    return t.gettext("no operator reply for %(duration)s") % {"duration": duration_text(waited, t)}


def rule_text(rule: AutoreplyRule, t: NullTranslations) -> str:
    """The rule in one sentence, for the hours page."""
    if rule.trigger is Trigger.NEW_CONVERSATION:
        answers = t.gettext("answers new conversations")
    elif rule.trigger is Trigger.VISITOR_MESSAGE:
        answers = t.gettext("answers every visitor message")
    else:
        wait = duration_text(int(rule.after.total_seconds()) if rule.after else 0, t)
        answers = t.gettext("answers when no operator has replied within %(duration)s")
        answers %= {"duration": wait}
    sentence = t.gettext(
        "%(when)s: %(answers)s; channels: %(channels)s; pause between its autoreplies to one contact: "
        "%(cooldown)s."
    )
    return sentence % {
        "answers": answers,
        "when": capitalized(when_text(rule.when, t)),
        "channels": ", ".join(channel_text(channel, t) for channel in rule.channels),
        "cooldown": duration_text(int(rule.cooldown.total_seconds()), t),
    }


_NONE = frozenset({Code.AUTOMATIC, Code.NO_RULES, Code.HOURLY_CAP, Code.NO_ANSWER})


def _none_text(code: Code, args: Mapping[str, object], t: NullTranslations) -> str:
    if code is Code.AUTOMATIC:
        cause = _text(args, "reason")
        if cause:
            return t.gettext("none: mail is automatic (%(reason)s)") % {"reason": cause}
        return t.gettext("none: mail is automatic")
    if code is Code.NO_RULES:
        return t.gettext("none: no autoreply rules are configured")
    if code is Code.HOURLY_CAP:
        count = _number(args, "count")
        return t.ngettext(
            "none: %(count)s autoreply to this contact in the last hour, the cap is %(cap)s",
            "none: %(count)s autoreplies to this contact in the last hour, the cap is %(cap)s",
            count,
        ) % {"count": count, "cap": _number(args, "cap")}
    return t.gettext("none: no rule answers")


def _rule_reason_text(code: Code, args: Mapping[str, object], t: NullTranslations) -> str:
    values = {"rule": _text(args, "rule")}
    if code is Code.ANSWERS:
        waited = args.get("waited")
        values |= {
            "when": when_text(_text(args, "when"), t),
            "channel": channel_text(_text(args, "channel"), t),
            "trigger": situation_text(_text(args, "trigger"), t, waited if isinstance(waited, int) else None),
        }
        return t.gettext("%(rule)s: answers (%(when)s, channel %(channel)s, %(trigger)s)") % values
    if code is Code.OTHER_CHANNEL:
        allowed = args.get("allowed")
        names = allowed if isinstance(allowed, list) else []
        values |= {
            "channel": channel_text(_text(args, "channel"), t),
            "allowed": ", ".join(channel_text(str(name), t) for name in names),
        }
        line = t.gettext("%(rule)s: skipped, channel %(channel)s is not one of its channels (%(allowed)s)")
        return line % values
    if code is Code.OTHER_TRIGGER:
        values |= {
            "answers": _answers_text(_text(args, "answers"), args.get("after"), t),
            "situation": _situation_phrase(_text(args, "trigger"), t),
        }
        return t.gettext("%(rule)s: skipped, it answers %(answers)s, this is %(situation)s") % values
    if code is Code.WAITING_UNKNOWN:
        line = t.gettext("%(rule)s: skipped, the time of the unanswered visitor message is unknown")
        return line % values
    if code is Code.TOO_EARLY:
        values |= {
            "waited": duration_text(_number(args, "waited"), t),
            "after": duration_text(_number(args, "after"), t),
        }
        return t.gettext("%(rule)s: skipped, no operator reply for %(waited)s, it waits %(after)s") % values
    if code is Code.OUTSIDE_HOURS:
        return t.gettext("%(rule)s: skipped, outside hours") % values
    if code is Code.INSIDE_HOURS:
        return t.gettext("%(rule)s: skipped, inside hours") % values
    values["until"] = _utc_text(_text(args, "until"))
    return t.gettext("%(rule)s: skipped, cooldown until %(until)s") % values


def _answers_text(trigger: str, after: object, t: NullTranslations) -> str:
    if trigger == Trigger.NEW_CONVERSATION:
        return t.gettext("new conversations")
    if trigger == Trigger.VISITOR_MESSAGE:
        return t.gettext("visitor messages")
    seconds = after if isinstance(after, int) else 0
    return t.gettext("no operator reply after %(duration)s") % {"duration": duration_text(seconds, t)}


def _situation_phrase(trigger: str, t: NullTranslations) -> str:
    if trigger == Trigger.NEW_CONVERSATION:
        return t.gettext("a new conversation")
    if trigger == Trigger.VISITOR_MESSAGE:
        return t.gettext("a visitor message")
    return t.gettext("a check for no operator reply")


def _text(args: Mapping[str, object], key: str) -> str:
    value = args.get(key)
    return "" if value is None else str(value)


def _number(args: Mapping[str, object], key: str) -> int:
    value = args.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _utc_text(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]
