"""Verdict codes: why a rule answered or not, as a code with arguments, stored as JSON with the message.

A reason is stored as `{"code": "outside_hours", "args": {"rule": "daytime"}}` and put into words only
when shown (`chatcore.autoreply.words`), in the reader's language. Arguments are JSON values: names,
channel and trigger values as config.toml spells them, durations in seconds, moments in ISO 8601 UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

JsonArgs = Mapping[str, object]


class Code(StrEnum):
    ANSWERS = "answers"  # rule, when, channel, trigger, waited (seconds, only for no_operator_reply)
    OTHER_CHANNEL = "other_channel"  # rule, channel, allowed (list of channels)
    OTHER_TRIGGER = "other_trigger"  # rule, answers (the rule's trigger), after (seconds or null), trigger
    WAITING_UNKNOWN = "waiting_unknown"  # rule
    TOO_EARLY = "too_early"  # rule, waited, after (seconds)
    OUTSIDE_HOURS = "outside_hours"  # rule: it answers inside hours, the desk is closed
    INSIDE_HOURS = "inside_hours"  # rule: it answers outside hours, the desk is open
    COOLDOWN = "cooldown"  # rule, until (ISO 8601 UTC)
    AUTOMATIC = "automatic"  # reason ("" when unknown): automatic mail is never answered
    NO_RULES = "no_rules"
    HOURLY_CAP = "hourly_cap"  # count, cap
    NO_ANSWER = "no_answer"  # every rule was skipped
    LEGACY = "legacy"  # text: a sentence stored before codes, that no code matched


@dataclass(frozen=True)
class Reason:
    code: Code
    args: JsonArgs = field(default_factory=lambda: MappingProxyType({}))

    def to_json(self) -> dict[str, object]:
        return {"code": self.code.value, "args": dict(self.args)}

    @classmethod
    def from_json(cls, value: object) -> Reason:
        """A stored reason; anything not in the stored shape is kept as legacy text."""
        if isinstance(value, Mapping):
            code, args = value.get("code"), value.get("args", {})
            if isinstance(code, str) and code in Code._value2member_map_ and isinstance(args, Mapping):
                return cls(Code(code), MappingProxyType(dict(args)))
        return cls(Code.LEGACY, MappingProxyType({"text": str(value)}))


def reason(code: Code, **args: object) -> Reason:
    return Reason(code, MappingProxyType(args))
