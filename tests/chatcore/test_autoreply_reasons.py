"""Verdict codes are stored as JSON and read back; anything else stored is kept as legacy text."""

from __future__ import annotations

import json

import pytest

from chatcore.autoreply import Code, Reason, decide
from tests.chatcore.autoreply_support import CLOSED, HOURS, RULES, situation


def test_a_verdict_survives_json() -> None:
    verdict = decide(RULES, HOURS, situation(CLOSED, "chat", "visitor_message"))
    stored = json.loads(json.dumps([reason.to_json() for reason in verdict.reasons]))
    assert [Reason.from_json(item) for item in stored] == list(verdict.reasons)
    assert stored[0] == {
        "code": "other_trigger",
        "args": {
            "rule": "after-hours",
            "answers": "new_conversation",
            "after": None,
            "trigger": "visitor_message",
        },
    }
    assert [item["code"] for item in stored] == [
        "other_trigger",
        "outside_hours",
        "other_channel",
        "no_answer",
    ]


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param("night: answers (outside hours, channel chat, new conversation)", id="an old sentence"),
        pytest.param({"code": "from_the_future", "args": {}}, id="an unknown code"),
        pytest.param({"code": "answers", "args": ["not", "a", "table"]}, id="arguments of the wrong shape"),
    ],
)
def test_anything_else_is_legacy_text(stored: object) -> None:
    found = Reason.from_json(stored)
    assert found.code is Code.LEGACY
    assert found.args["text"] == str(stored)
