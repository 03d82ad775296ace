"""An operator's email reply: commands first (`#close`, `#tag x`, `#note` …), then the text.

Commands and text are applied together or not at all; anything refused is explained to the operator
by email and nothing reaches the visitor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from sqlmodel import Session, select

from bridge import notifications
from bridge.context import Context
from chatcore import events as ev
from chatcore.errors import DomainError
from chatcore.mail_reasons import MailCode, MailReason, ReasonedError, mail_reason
from chatcore.models import Conversation, Operator
from chatcore.reply_commands import Command, parse_commands
from chatcore.services import Desk, NewMessage
from inbound.dkim_check import check_dkim, publishes_dkim


def apply_operator_reply(
    session: Session,
    context: Context,
    desk: Desk,
    conversation: Conversation,
    operator: Operator,
    new: NewMessage,
    *,
    tell: bool = True,
    commands_refused: Callable[[], MailReason | None] | None = None,
) -> list[ev.Event] | None:
    """The events of the commands and the posted text; None when refused (and with `tell`, the operator
    is told why). `commands_refused` says why commands may not run from this mail, if they may not."""
    parsed = parse_commands(new.text)
    refusal = commands_refused() if parsed.commands and commands_refused is not None else None
    problems = [*parsed.problems, *([refusal] if refusal else [])]
    if problems:
        if tell:
            _refuse(session, context, operator, conversation, problems)
        return None
    savepoint = session.begin_nested()
    try:
        events: list[ev.Event] = []
        for command in parsed.commands:
            events += _run(session, desk, conversation, operator, command)
        text_only = replace(new, text=parsed.text)
        if parsed.text or _files_to_post(new) or (new.html and not parsed.commands):
            post = desk.post_note if parsed.is_note else desk.post_operator_message
            events += post(conversation, operator, text_only)
        savepoint.commit()
    except (DomainError, CommandRefused) as refusal:
        savepoint.rollback()
        if tell:
            why = [refusal.detail] if isinstance(refusal, CommandRefused) else str(refusal)
            _refuse(session, context, operator, conversation, why)
        return None
    return events


class CommandRefused(ReasonedError):
    """A command that cannot run, with why as a reason code."""


def dkim_for_commands(context: Context, raw: bytes, sender: str) -> Callable[[], MailReason | None]:
    """Commands change a conversation for everyone, so a forged From must not run them: when the
    sender's domain publishes DKIM keys, commands need a signature that verifies for that domain.
    (With `require_dkim_for_operators` every operator reply was checked at routing already.)"""

    def refusal() -> MailReason | None:
        if context.settings.mail.require_dkim_for_operators:
            return None
        domain = sender.rpartition("@")[2].lower()
        if not (context.dkim_probe or publishes_dkim)(domain):
            return None
        verdict = check_dkim(raw, domain, context.dkim_dns)
        if verdict.passed:
            return None
        detail = verdict.detail.to_json() if verdict.detail else None
        return mail_reason(MailCode.COMMANDS_NEED_DKIM, domain=domain, reason=detail)

    return refusal


def _files_to_post(new: NewMessage) -> bool:
    """Files the operator attached; an inline image alone (a signature logo under `#close`) is not one."""
    return any(not attachment.inline for attachment in new.attachments)


def _run(
    session: Session, desk: Desk, conversation: Conversation, operator: Operator, command: Command
) -> list[ev.Event]:
    if command.name == "close":
        return desk.close(conversation, operator)
    if command.name == "reopen":
        return desk.reopen(conversation, operator)
    if command.name == "tag":
        return desk.tag(conversation, command.argument)
    if command.name == "untag":
        return desk.untag(conversation, command.argument)
    if command.name == "assign":
        return desk.assign(conversation, _assignee(session, operator, command.argument))
    return []  # "note" changes how the text is posted, nothing else


def _assignee(session: Session, operator: Operator, argument: str) -> Operator:
    if argument.lower() == "me":
        return operator
    found = session.exec(select(Operator).where(Operator.email == argument.strip().lower())).first()
    if found is None or not found.active:
        raise CommandRefused(mail_reason(MailCode.NO_SUCH_OPERATOR, argument=argument))
    return found


def _refuse(
    session: Session,
    context: Context,
    operator: Operator,
    conversation: Conversation,
    why: str | Sequence[MailReason],
) -> None:
    notifications.tell_operator_of_refusal(session, context, operator.id or 0, conversation.id or 0, why)
