"""A rule's defaults and the text language it picks for a contact."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chatcore.autoreply import AutoreplyRule, Channel, Trigger, When
from tests.chatcore.autoreply_support import RULES


@pytest.mark.parametrize(
    ("texts", "language", "expected"),
    [
        pytest.param({"en": "hi", "ru": "привет"}, "ru", "привет", id="exact"),
        pytest.param({"en": "hi", "ru": "привет"}, "ru-RU", "привет", id="region to base"),
        pytest.param({"en": "hi", "ru": "привет"}, "RU", "привет", id="case"),
        pytest.param({"en": "hi", "ru": "привет"}, "de", "hi", id="unknown to english"),
        pytest.param({"ru": "привет", "de": "hallo"}, "fr", "привет", id="no english to the first"),
        pytest.param({"pt-br": "olá", "en": "hi"}, "pt-BR", "olá", id="region kept when listed"),
        pytest.param("hi", "ru", "hi", id="plain string is for everyone"),
    ],
)
def test_text_for_language_fallback(texts: object, language: str, expected: str) -> None:
    rule = AutoreplyRule.from_config(
        {"name": "r", "when": "always", "trigger": "new_conversation", "text": texts}, 0
    )
    assert rule.text_for(language) == expected


def test_a_full_rule_and_its_defaults() -> None:
    nudge, plain = RULES[2], RULES[1]
    assert (nudge.when, nudge.trigger, nudge.channels) == (
        When.ALWAYS,
        Trigger.NO_OPERATOR_REPLY,
        (Channel.EMAIL,),
    )
    assert (nudge.after, nudge.cooldown) == (timedelta(minutes=5), timedelta(hours=12))
    assert (plain.after, plain.cooldown) == (None, timedelta(hours=1))
    minimal = AutoreplyRule.from_config(
        {"name": "m", "when": "always", "trigger": "visitor_message", "text": "x"}, 0
    )
    assert minimal.channels == (Channel.CHAT, Channel.EMAIL)
    assert minimal.texts == (("en", "x"),)
