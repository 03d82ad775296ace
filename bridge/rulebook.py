"""The working hours and autoreply rules in force; swapped whole on reload, read whole by each use."""

from __future__ import annotations

from dataclasses import dataclass

from chatcore.autoreply import AutoreplyRule
from chatcore.hours import WorkingHours


@dataclass(frozen=True)
class Rules:
    hours: WorkingHours
    autoreplies: tuple[AutoreplyRule, ...]


class RuleBook:
    """Holds one `Rules`; replacing it is a single reference swap, so readers never see half a reload."""

    def __init__(self, rules: Rules) -> None:
        self._rules = rules

    @property
    def current(self) -> Rules:
        return self._rules

    def replace(self, rules: Rules) -> None:
        self._rules = rules
