"""Commands an operator writes at the top of an email reply: `#note`, `#close`, `#tag billing`, …

Commands stand alone on the first lines; the text after them is the reply (or the note, after `#note`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatcore.mail_reasons import MailCode, MailReason, mail_reason

NEEDS_ARGUMENT = {
    "tag": MailCode.COMMAND_NEEDS_TAG,
    "untag": MailCode.COMMAND_NEEDS_TAG,
    "assign": MailCode.COMMAND_NEEDS_ASSIGNEE,
}
NO_ARGUMENT = frozenset({"note", "close", "reopen"})
KNOWN = tuple(sorted(NO_ARGUMENT | NEEDS_ARGUMENT.keys()))
_LINE = re.compile(r"^#(?P<name>[A-Za-z_]+)(?:\s+(?P<argument>\S.*?))?\s*$")


@dataclass(frozen=True)
class Command:
    name: str
    argument: str = ""


@dataclass(frozen=True)
class CommandReply:
    commands: tuple[Command, ...]
    text: str  # what follows the commands
    problems: tuple[MailReason, ...]  # one per command that cannot be understood

    @property
    def is_note(self) -> bool:
        return any(command.name == "note" for command in self.commands)


def parse_commands(text: str) -> CommandReply:
    lines = text.strip().splitlines()
    commands: list[Command] = []
    problems: list[MailReason] = []
    index = 0
    while index < len(lines) and (match := _LINE.match(lines[index].strip())):
        name, argument = match["name"].lower(), (match["argument"] or "").strip()
        problem = _problem(name, argument)
        if problem:
            problems.append(problem)
        else:
            commands.append(Command(name, argument))
        index += 1
    body = "\n".join(lines[index:]).strip()
    return CommandReply(tuple(commands), body, tuple(problems))


def _problem(name: str, argument: str) -> MailReason | None:
    if name not in KNOWN:
        known = ", ".join(f"#{k}" for k in KNOWN)
        return mail_reason(MailCode.UNKNOWN_COMMAND, command=name, commands=known)
    if name in NEEDS_ARGUMENT and not argument:
        return mail_reason(NEEDS_ARGUMENT[name], command=name)
    if name in NO_ARGUMENT and argument:
        return mail_reason(MailCode.COMMAND_TAKES_NOTHING, command=name, argument=argument)
    return None
