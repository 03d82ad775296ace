"""What the steps pass along (`Item`), how a step is named (`Step`), and the two ways a step stops a mail:
try again later (`Deferred`) or set it aside (`Quarantined`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from bridge.context import Context
from bridge.routing import Rejected, Route
from chatcore import events as ev
from chatcore.mail_reasons import MailReason
from inbound.classify import Classification, MailKind
from inbound.clean import CleanedReply
from inbound.parse import ParsedMail


@dataclass(frozen=True)
class Item:
    spool_id: int
    raw: bytes
    envelope_from: str | None
    envelope_to: tuple[str, ...]
    mail: ParsedMail | None = None
    classification: Classification | None = None
    cleaned: CleanedReply | None = None
    content_sha256: str = ""
    duplicate: bool = False
    route: Route | None = None
    message_id: int | None = None
    events: tuple[ev.Event, ...] = ()
    outcome: str = ""
    quiet: bool = False  # imported history: stored, but nobody is notified, answered or mailed


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[Item, Session, Context], Item]


class Deferred(Exception):
    """The item is tried again later: the reason may pass."""

    def __init__(self, step: str, detail: MailReason) -> None:
        super().__init__(f"{step}: {detail.english}")
        self.step = step
        self.detail = detail


class Quarantined(Exception):
    def __init__(self, step: str, detail: MailReason, tell: Rejected | None = None) -> None:
        super().__init__(f"{step}: {detail.english}")
        self.step = step
        self.detail = detail
        self.tell = tell  # when set, the operator whose address was used hears of it


def mail_of(item: Item) -> ParsedMail:
    assert item.mail is not None, "parse runs first"
    return item.mail


def kind_of(item: Item) -> MailKind:
    return item.classification.kind if item.classification else MailKind.HUMAN
