"""The verdict on whether an autoreply answers: pure, the caller gathers the facts.

The facts are the time, channel, trigger, automatic mail, when each rule last answered this contact and
how many autoreplies went to them in the last hour. The verdict's reasons are codes (`reasons.py`), stored
with the visitor message so the inbox can say why an autoreply was or was not sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from chatcore.autoreply.reasons import Code, Reason, reason
from chatcore.autoreply.rules import DEFAULT_HOURLY_CAP, AutoreplyRule, Channel, Trigger, When
from chatcore.hours import WorkingHours


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
    reasons: tuple[Reason, ...]  # one per rule considered, and a "none" reason when none answers


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
            reasons.append(_grounds(rule, situation))
            return Verdict(rule.name, open_now, next_open, tuple(reasons))
        reasons.append(refusal)
    reasons.append(reason(Code.NO_ANSWER))
    return Verdict(None, open_now, next_open, tuple(reasons))


def _blocked(rules: Sequence[AutoreplyRule], situation: AutoreplySituation, hourly_cap: int) -> Reason | None:
    """A reason that stops every rule at once, or None."""
    if situation.is_automatic_mail:
        return reason(Code.AUTOMATIC, reason=situation.automatic_reason or "")
    if not rules:
        return reason(Code.NO_RULES)
    if situation.autoreplies_last_hour >= hourly_cap:
        return reason(Code.HOURLY_CAP, count=situation.autoreplies_last_hour, cap=hourly_cap)
    return None


def _refusal(rule: AutoreplyRule, situation: AutoreplySituation, open_now: bool) -> Reason | None:
    """Why this rule does not answer, or None when it does."""
    if situation.channel not in rule.channels:
        allowed = [channel.value for channel in rule.channels]
        return reason(Code.OTHER_CHANNEL, rule=rule.name, channel=situation.channel.value, allowed=allowed)
    trigger_refusal = _trigger_refusal(rule, situation)
    if trigger_refusal is not None:
        return trigger_refusal
    if rule.when is When.INSIDE_HOURS and not open_now:
        return reason(Code.OUTSIDE_HOURS, rule=rule.name)
    if rule.when is When.OUTSIDE_HOURS and open_now:
        return reason(Code.INSIDE_HOURS, rule=rule.name)
    last = situation.last_autoreply_at.get(rule.name)
    if last is not None and situation.at < last + rule.cooldown:
        until = (last + rule.cooldown).astimezone(UTC).isoformat()
        return reason(Code.COOLDOWN, rule=rule.name, until=until)
    return None


def _trigger_refusal(rule: AutoreplyRule, situation: AutoreplySituation) -> Reason | None:
    matches = rule.trigger is situation.trigger or (
        rule.trigger is Trigger.VISITOR_MESSAGE and situation.trigger is Trigger.NEW_CONVERSATION
    )
    if not matches:
        after = _seconds(rule.after) if rule.after is not None else None
        return reason(
            Code.OTHER_TRIGGER,
            rule=rule.name,
            answers=rule.trigger.value,
            after=after,
            trigger=situation.trigger.value,
        )
    if rule.trigger is not Trigger.NO_OPERATOR_REPLY or rule.after is None:
        return None
    if situation.waiting_since is None:
        return reason(Code.WAITING_UNKNOWN, rule=rule.name)
    waited = situation.at - situation.waiting_since
    if waited < rule.after:
        return reason(Code.TOO_EARLY, rule=rule.name, waited=_seconds(waited), after=_seconds(rule.after))
    return None


def _grounds(rule: AutoreplyRule, situation: AutoreplySituation) -> Reason:
    args: dict[str, object] = {
        "rule": rule.name,
        "when": rule.when.value,
        "channel": situation.channel.value,
        "trigger": situation.trigger.value,
    }
    if situation.trigger is Trigger.NO_OPERATOR_REPLY and situation.waiting_since is not None:
        args["waited"] = _seconds(situation.at - situation.waiting_since)
    return reason(Code.ANSWERS, **args)


def _seconds(value: timedelta) -> int:
    return max(0, int(value.total_seconds()))
