"""The autoreply text a contact gets, its variables filled in, in their language."""

from __future__ import annotations

from datetime import datetime

import pytest

from chatcore.autoreply import AutoreplyRule, render
from tests.chatcore.autoreply_support import CATALOGS, CLOSED, HOURS, MOSCOW, RULES


@pytest.mark.parametrize(
    ("language", "next_open", "expected"),
    [
        pytest.param(
            "en",
            datetime(2027, 1, 11, 9, 0, tzinfo=MOSCOW),
            "Hello Anna {x}, Acme is closed. We open Monday 11 January 2027 at 09:00.",
            id="en with a date",
        ),
        pytest.param(
            "ru",
            datetime(2027, 1, 1, 9, 0, tzinfo=MOSCOW),
            "Здравствуйте, Anna {x}! Acme сейчас закрыт. Откроемся: завтра в 09:00.",
            id="ru tomorrow",
        ),
        pytest.param(
            "ru-RU",
            datetime(2027, 1, 11, 9, 0, tzinfo=MOSCOW),
            "Здравствуйте, Anna {x}! Acme сейчас закрыт. Откроемся: 11 января 2027 г. (понедельник) в 09:00.",
            id="ru with a date",
        ),
        pytest.param(
            "de",
            datetime(2026, 12, 31, 23, 0, tzinfo=MOSCOW),
            "Hello Anna {x}, Acme is closed. We open today at 23:00.",
            id="other language gets the english text and date",
        ),
        pytest.param(
            "ru",
            None,
            "Здравствуйте, Anna {x}! Acme сейчас закрыт. Откроемся: в ближайшее время.",
            id="no opening known",
        ),
    ],
)
def test_render(language: str, next_open: datetime | None, expected: str) -> None:
    text = render(
        RULES[0],
        language,
        contact_name="Anna {x}",
        site_name="Acme",
        next_open=next_open,
        hours=HOURS,
        now=CLOSED,
        catalogs=CATALOGS,
    )
    assert text == expected


def test_literal_braces_are_allowed() -> None:
    rule = AutoreplyRule.from_config(
        {
            "name": "x",
            "when": "always",
            "trigger": "new_conversation",
            "text": "Use {{ticket}} in {site_name}",
        },
        0,
    )
    text = render(
        rule,
        "en",
        contact_name="",
        site_name="Acme",
        next_open=None,
        hours=HOURS,
        now=CLOSED,
        catalogs=CATALOGS,
    )
    assert text == "Use {ticket} in Acme"
