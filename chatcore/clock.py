"""Time as a dependency, so rules and schedules can be tested at any moment."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...
