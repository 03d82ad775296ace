"""Drive the bridge's timed work by hand and read what it sent from a Maildir."""

from __future__ import annotations

import mailbox
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar

from sqlmodel import Session

from bridge import notifications
from bridge.context import Context
from bridge.db import transaction
from bridge.delivery import deliver_due
from bridge.jobs import run_due_jobs
from chatcore.events import Event
from outbound.transport import MaildirTransport

T = TypeVar("T")


def act(context: Context, change: Callable[[Session], tuple[T, list[Event]]]) -> T:
    """Run a change in one transaction and react to its events there, as the web app and worker do."""
    with transaction(context.engine) as session:
        result, events = change(session)
        notifications.react(session, context, events)
    return result


class SentMail:
    """The outbound Maildir: run due jobs, deliver, and read back each new mail once."""

    def __init__(self, context: Context, directory: Path) -> None:
        self.context = context
        self.directory = directory
        self.transport = MaildirTransport(directory)
        self._seen: set[str] = set()

    def tick(self) -> list[EmailMessage]:
        run_due_jobs(self.context, notifications.JOB_HANDLERS)
        deliver_due(self.context, self.transport)
        return self.new()

    def new(self) -> list[EmailMessage]:
        box = mailbox.Maildir(self.directory, create=False)
        fresh: list[EmailMessage] = []
        for key in sorted(box.keys()):
            if key in self._seen:
                continue
            self._seen.add(key)
            parsed = message_from_bytes(box.get_bytes(key), policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            fresh.append(parsed)
        return sorted(fresh, key=lambda m: str(m["Delivered-To"]))


def recipient(mail: EmailMessage) -> str:
    return str(mail["To"].addresses[0].addr_spec)


def text_of_raw(raw: bytes) -> str:
    """The text part of raw mail bytes, decoded (an outbox row as it will be sent)."""
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return text_of(parsed)


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())
