"""What an `[[autoreply]]` rule is: when it answers, on which channels, to what, and its texts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

DEFAULT_COOLDOWN = timedelta(hours=12)
DEFAULT_HOURLY_CAP = 3


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
        from chatcore.autoreply.config import parse_rule

        rule, problems = parse_rule(table, index)
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
