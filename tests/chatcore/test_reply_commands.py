"""Commands at the top of an operator's email reply."""

from __future__ import annotations

import pytest

from chatcore.reply_commands import Command, parse_commands


@pytest.mark.parametrize(
    ("text", "commands", "body"),
    [
        ("Thanks, fixed.", (), "Thanks, fixed."),
        ("#close", (Command("close"),), ""),
        (
            "#close\n#tag billing\nThanks, fixed.",
            (Command("close"), Command("tag", "billing")),
            "Thanks, fixed.",
        ),
        ("#NOTE\nVIP customer", (Command("note"),), "VIP customer"),
        ("#assign me\n", (Command("assign", "me"),), ""),
        ("#assign ivan@example.com\nIvan knows", (Command("assign", "ivan@example.com"),), "Ivan knows"),
        ("Hello\n#close", (), "Hello\n#close"),  # only leading lines are commands
        ("#1 priority, sorry for the wait", (), "#1 priority, sorry for the wait"),
        ("  #reopen  \nBack on it", (Command("reopen"),), "Back on it"),
    ],
)
def test_commands_are_read_from_the_leading_lines(
    text: str, commands: tuple[Command, ...], body: str
) -> None:
    parsed = parse_commands(text)
    assert parsed.commands == commands
    assert parsed.text == body
    assert parsed.problems == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("#frobnicate\nHi", "#frobnicate is not a command; the commands are #assign, #close, #note"),
        ("#tag\nHi", "#tag needs a tag name"),
        ("#assign", '#assign needs "me" or an operator\'s email'),
        ("#close now please", "#close takes nothing after it, got 'now please'"),
    ],
)
def test_a_command_that_cannot_be_understood_is_a_problem(text: str, problem: str) -> None:
    parsed = parse_commands(text)
    assert len(parsed.problems) == 1
    assert parsed.problems[0].english.startswith(problem)


def test_note_flag() -> None:
    assert parse_commands("#note\nInternal").is_note
    assert not parse_commands("#close\nBye").is_note
