"""Which rule answers and why: the verdict codes, read in English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatcore.autoreply import AutoreplySituation, decide, reason_text
from chatcore.hours import WorkingHours
from tests.chatcore.autoreply_support import CLOSED, EN, HOURS, MOSCOW, OPEN, RULES, situation


@pytest.mark.parametrize(
    ("facts", "rule", "reasons"),
    [
        pytest.param(
            situation(CLOSED, "email", "new_conversation"),
            "after-hours",
            ["after-hours: answers (outside hours, channel email, new conversation)"],
            id="new email after hours",
        ),
        pytest.param(
            situation(CLOSED, "chat", "visitor_message"),
            None,
            [
                "after-hours: skipped, it answers new conversations, this is a visitor message",
                "daytime: skipped, outside hours",
                "nudge: skipped, channel chat is not one of its channels (email)",
                "none: no rule answers",
            ],
            id="later chat message after hours",
        ),
        pytest.param(
            situation(OPEN, "chat", "new_conversation"),
            "daytime",
            [
                "after-hours: skipped, inside hours",
                "daytime: answers (inside hours, channel chat, new conversation)",
            ],
            id="a visitor_message rule answers the first message too",
        ),
        pytest.param(
            situation(OPEN, "email", "visitor_message"),
            None,
            [
                "after-hours: skipped, it answers new conversations, this is a visitor message",
                "daytime: skipped, channel email is not one of its channels (chat)",
                "nudge: skipped, it answers no operator reply after 5 minutes, this is a visitor message",
                "none: no rule answers",
            ],
            id="email during hours",
        ),
        pytest.param(
            situation(OPEN, "email", "no_operator_reply", waiting_since=OPEN - timedelta(minutes=7)),
            "nudge",
            [
                "after-hours: skipped, it answers new conversations, this is a check for no operator reply",
                "daytime: skipped, channel email is not one of its channels (chat)",
                "nudge: answers (always, channel email, no operator reply for 7 minutes)",
            ],
            id="no operator reply after 7 minutes",
        ),
        pytest.param(
            situation(OPEN, "email", "no_operator_reply", waiting_since=OPEN - timedelta(minutes=3)),
            None,
            [
                "after-hours: skipped, it answers new conversations, this is a check for no operator reply",
                "daytime: skipped, channel email is not one of its channels (chat)",
                "nudge: skipped, no operator reply for 3 minutes, it waits 5 minutes",
                "none: no rule answers",
            ],
            id="no operator reply too early",
        ),
        pytest.param(
            situation(
                CLOSED,
                "email",
                "new_conversation",
                is_automatic_mail=True,
                automatic_reason="Auto-Submitted: auto-replied",
            ),
            None,
            ["none: mail is automatic (Auto-Submitted: auto-replied)"],
            id="automatic mail is never answered",
        ),
        pytest.param(
            situation(CLOSED, "email", "new_conversation", is_automatic_mail=True),
            None,
            ["none: mail is automatic"],
            id="automatic mail without a reason",
        ),
        pytest.param(
            situation(CLOSED, "email", "new_conversation", autoreplies_last_hour=3),
            None,
            ["none: 3 autoreplies to this contact in the last hour, the cap is 3"],
            id="hourly cap reached",
        ),
        pytest.param(
            situation(CLOSED, "email", "new_conversation", autoreplies_last_hour=2),
            "after-hours",
            ["after-hours: answers (outside hours, channel email, new conversation)"],
            id="hourly cap not reached",
        ),
        pytest.param(
            situation(
                CLOSED,
                "email",
                "new_conversation",
                last_autoreply_at={"after-hours": datetime(2026, 12, 31, 9, 0, tzinfo=UTC)},
            ),
            None,
            [
                "after-hours: skipped, cooldown until 2026-12-31 21:00 UTC",
                "daytime: skipped, channel email is not one of its channels (chat)",
                "nudge: skipped, it answers no operator reply after 5 minutes, this is a new conversation",
                "none: no rule answers",
            ],
            id="cooldown of the rule",
        ),
        pytest.param(
            situation(
                CLOSED,
                "email",
                "new_conversation",
                last_autoreply_at={"daytime": CLOSED - timedelta(minutes=1)},
            ),
            "after-hours",
            ["after-hours: answers (outside hours, channel email, new conversation)"],
            id="another rule's cooldown does not count",
        ),
    ],
)
def test_decide(facts: AutoreplySituation, rule: str | None, reasons: list[str]) -> None:
    verdict = decide(RULES, HOURS, facts)
    assert verdict.rule == rule
    assert [reason_text(r, EN) for r in verdict.reasons] == reasons


@pytest.mark.parametrize(
    ("since_last", "answers"),
    [
        pytest.param(timedelta(hours=12) - timedelta(seconds=1), False, id="one second before the end"),
        pytest.param(timedelta(hours=12), True, id="exactly at the end"),
        pytest.param(timedelta(days=3), True, id="long after"),
    ],
)
def test_cooldown_boundary(since_last: timedelta, answers: bool) -> None:
    facts = situation(
        CLOSED, "chat", "new_conversation", last_autoreply_at={"after-hours": CLOSED - since_last}
    )
    assert (decide(RULES, HOURS, facts).rule == "after-hours") is answers


@pytest.mark.parametrize(
    ("sent", "cap", "answers"),
    [(0, 3, True), (2, 3, True), (3, 3, False), (7, 3, False), (3, 5, True), (0, 0, False)],
)
def test_hourly_cap(sent: int, cap: int, answers: bool) -> None:
    facts = situation(CLOSED, "chat", "new_conversation", autoreplies_last_hour=sent)
    assert (decide(RULES, HOURS, facts, hourly_cap=cap).rule is not None) is answers


def test_verdict_carries_open_state_and_next_opening() -> None:
    closed = decide(RULES, HOURS, situation(CLOSED, "email", "new_conversation"))
    assert (closed.open_now, closed.next_open) == (False, datetime(2027, 1, 11, 9, 0, tzinfo=MOSCOW))
    during = decide(RULES, HOURS, situation(OPEN, "chat", "new_conversation"))
    assert (during.open_now, during.next_open) == (True, OPEN)


def test_no_rules_says_so() -> None:
    verdict = decide([], HOURS, situation(CLOSED, "chat", "new_conversation"))
    assert [reason_text(r, EN) for r in verdict.reasons] == ["none: no autoreply rules are configured"]


def test_without_hours_only_always_and_inside_rules_answer() -> None:
    hours = WorkingHours.always_open()
    verdict = decide(RULES, hours, situation(CLOSED, "chat", "new_conversation"))
    assert verdict.rule == "daytime"
    assert reason_text(verdict.reasons[0], EN) == "after-hours: skipped, inside hours"
