"""English verdict sentences stored before verdict codes are read back into codes (for the migration)."""

from __future__ import annotations

import pytest

from chatcore.autoreply import Code, reason_text
from chatcore.autoreply.legacy import reason_from_sentence
from tests.chatcore.autoreply_support import EN, RU

# Every form the old sentences took, with the code each becomes and how it reads now.
OLD = [
    ("after-hours: answers (outside hours, channel email, new conversation)", Code.ANSWERS, None),
    (
        "nudge: answers (always, channel email, no operator reply for 7m)",
        Code.ANSWERS,
        "nudge: answers (always, channel email, no operator reply for 7 minutes)",
    ),
    ("daytime: skipped, channel email is not one of its channels (chat)", Code.OTHER_CHANNEL, None),
    (
        "after-hours: skipped, it answers new conversations, this is a visitor message",
        Code.OTHER_TRIGGER,
        None,
    ),
    (
        "nudge: skipped, it answers no operator reply after 5m, this is a new conversation",
        Code.OTHER_TRIGGER,
        "nudge: skipped, it answers no operator reply after 5 minutes, this is a new conversation",
    ),
    ("n: skipped, the time of the unanswered visitor message is unknown", Code.WAITING_UNKNOWN, None),
    (
        "nudge: skipped, no operator reply for 3m, it waits 5m",
        Code.TOO_EARLY,
        "nudge: skipped, no operator reply for 3 minutes, it waits 5 minutes",
    ),
    ("daytime: skipped, outside hours", Code.OUTSIDE_HOURS, None),
    ("after-hours: skipped, inside hours", Code.INSIDE_HOURS, None),
    ("after-hours: skipped, cooldown until 2026-12-31 21:00 UTC", Code.COOLDOWN, None),
    ("none: mail is automatic (Auto-Submitted: auto-replied)", Code.AUTOMATIC, None),
    ("none: mail is automatic", Code.AUTOMATIC, None),
    ("none: no autoreply rules are configured", Code.NO_RULES, None),
    ("none: 3 autoreplies to this contact in the last hour, the cap is 3", Code.HOURLY_CAP, None),
    ("none: no rule answers", Code.NO_ANSWER, None),
]


@pytest.mark.parametrize(("sentence", "code", "now_reads"), OLD, ids=[code for _, code, _ in OLD])
def test_each_old_sentence_becomes_its_code(sentence: str, code: Code, now_reads: str | None) -> None:
    found = reason_from_sentence(sentence)
    assert found.code is code
    english = reason_text(found, EN)
    assert english == (now_reads or sentence)
    assert reason_from_sentence(english) == found, "a downgraded sentence comes back to the same code"
    assert reason_text(found, RU) != english


def test_an_unknown_sentence_is_kept_as_legacy_text() -> None:
    found = reason_from_sentence("night: skipped, the moon is full")
    assert (found.code, reason_text(found, RU)) == (Code.LEGACY, "night: skipped, the moon is full")
