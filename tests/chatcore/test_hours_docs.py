"""The example in docs/hours-and-autoreplies.md is valid and `explain` prints what the page shows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from chatcore.autoreply import Channel, explain, load_autoreplies, validate_autoreplies
from chatcore.autoreply.explain import local_moment
from chatcore.hours import WorkingHours, validate_hours
from tests.chatcore.autoreply_support import EN

PAGE = Path(__file__).parents[2] / "docs" / "hours-and-autoreplies.md"


def blocks(language: str) -> list[str]:
    """The fenced code blocks of the page with this info string ("" for a bare fence)."""
    found: list[str] = []
    lines: list[str] = []
    inside = wanted = False
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if inside and wanted:
                found.append("\n".join(lines))
            inside, wanted, lines = not inside, line[3:].strip() == language, []
        elif inside:
            lines.append(line)
    return found


def test_documented_example_is_valid_and_explain_matches_the_page() -> None:
    config = tomllib.loads(blocks("toml")[0])
    assert validate_hours(config["hours"]) == []
    assert validate_autoreplies(config["autoreply"]) == []
    session = next(block for block in blocks("") if "relaydesk autoreply explain" in block)
    command, *printed = session.strip().splitlines()
    hours = WorkingHours.from_config(config["hours"])
    at = local_moment(re.findall(r'--at "([^"]+)"', command)[0], hours)
    rules = load_autoreplies(config["autoreply"])
    assert explain(rules, hours, at, Channel.EMAIL, new_conversation="--new" in command, t=EN) == printed


def test_documented_error_lines_are_the_real_messages() -> None:
    errors = next(block for block in blocks("") if "[hours]: unknown key" in block).strip().splitlines()
    problems = validate_hours(
        {
            "monday": [],
            "timezone": "Mars/Base",
            "tue": ["9:00-25:00"],
            "holidays": ["2027-13-01", "2027-01-08..2027-01-01"],
            "special": {"2026-12-31": ["9-14"]},
        }
    )
    problems += validate_autoreplies(
        [
            {"name": "after-hours", "when": "night", "trigger": "no_operator_reply", "text": "x"},
            {
                "name": "b",
                "when": "always",
                "trigger": "visitor_message",
                "text": {"en": "x", "ru": "{name}"},
            },
            {"name": "after-hours", "when": "always", "trigger": "visitor_message", "text": "x"},
        ]
    )
    assert [str(problem) for problem in problems] == errors
