"""The working hours and autoreply rules in force; swapped whole on reload, read whole by each use.

A reload that fails leaves the rules in force and its problems here, one line each, for the hours page.
Each process reloads by itself (`relaydesk serve` watches config.toml in every role), so when roles run
in separate processes the web process shows its own last attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chatcore.autoreply import AutoreplyRule
from chatcore.hours import WorkingHours


@dataclass(frozen=True)
class Rules:
    hours: WorkingHours
    autoreplies: tuple[AutoreplyRule, ...]


@dataclass(frozen=True)
class ReloadFailure:
    at: datetime
    problems: tuple[str, ...]


class RuleBook:
    """Holds one `Rules`; replacing it is a single reference swap, so readers never see half a reload."""

    def __init__(self, rules: Rules) -> None:
        self._rules = rules
        self._failure: ReloadFailure | None = None

    @property
    def current(self) -> Rules:
        return self._rules

    @property
    def last_failure(self) -> ReloadFailure | None:
        """Why the latest reload was refused; None when it succeeded or none was tried."""
        return self._failure

    def replace(self, rules: Rules) -> None:
        self._rules = rules
        self._failure = None

    def refuse(self, failure: ReloadFailure) -> None:
        self._failure = failure
