"""Autoreply rules from `[[autoreply]]` in config.toml, the verdict on whether one answers, and its words.

One job per module: `rules` (what a rule is), `config` (tables into rules), `engine` (the verdict),
`reasons` (verdict codes), `words` (codes and rules in words), `text` (the text a contact gets),
`explain` (what would happen at a moment).
"""

from chatcore.autoreply.config import VARIABLES, load_autoreplies, validate_autoreplies, validate_autoreply
from chatcore.autoreply.engine import AutoreplySituation, Verdict, decide
from chatcore.autoreply.explain import explain
from chatcore.autoreply.reasons import Code, Reason
from chatcore.autoreply.rules import (
    DEFAULT_COOLDOWN,
    DEFAULT_HOURLY_CAP,
    AutoreplyRule,
    Channel,
    Trigger,
    When,
)
from chatcore.autoreply.text import render
from chatcore.autoreply.words import reason_text, rule_text

__all__ = [
    "DEFAULT_COOLDOWN",
    "DEFAULT_HOURLY_CAP",
    "VARIABLES",
    "AutoreplyRule",
    "AutoreplySituation",
    "Channel",
    "Code",
    "Reason",
    "Trigger",
    "Verdict",
    "When",
    "decide",
    "explain",
    "load_autoreplies",
    "reason_text",
    "render",
    "rule_text",
    "validate_autoreplies",
    "validate_autoreply",
]
