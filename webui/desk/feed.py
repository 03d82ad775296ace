"""Messages as the dialog pane shows them: who wrote each (and how that is drawn), the quoted parts
folded, and where an emailed message stands: sent, retrying, failed and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from chatcore.inbox import MessageView
from chatcore.models import AuthorKind, Contact, OutboxStatus
from webui.desk.quotes import Segment, split_quotes


@dataclass(frozen=True)
class Delivery:
    recipient: str
    state: str  # "sent" · "retrying" · "failed" · "queued"
    error: str


@dataclass(frozen=True)
class FeedEntry:
    id: int
    conversation_id: int
    kind: str  # "visitor" · "operator" · "note" · "autoreply" · "system"
    author: str
    author_initials: str
    avatar_sha256: str | None
    source: str
    created_at: datetime
    segments: list[Segment]
    from_address: str | None
    from_other_address: bool
    deliveries: list[Delivery]
    autoreply_reasons: list[object]  # stored verdict codes; the page puts them into words


def feed_entries(messages: Sequence[MessageView], contact: Contact) -> list[FeedEntry]:
    return [_entry(message, contact) for message in messages]


def _entry(message: MessageView, contact: Contact) -> FeedEntry:
    author = _author_name(message, contact)
    return FeedEntry(
        id=message.id,
        conversation_id=message.conversation_id,
        kind="note" if message.is_note else message.author_kind,
        author=author,
        author_initials=initials(author),
        avatar_sha256=message.operator.avatar_sha256 if message.operator else None,
        source=message.source,
        created_at=message.created_at,
        segments=split_quotes(message.text),
        from_address=message.from_address,
        from_other_address=message.from_other_address,
        deliveries=deliveries(message.delivery),
        autoreply_reasons=[
            reason
            for key in ("autoreply", "autoreply_check")
            for reason in (message.verdicts.get(key) or [])
        ],
    )


def _author_name(message: MessageView, contact: Contact) -> str:
    """ "" when the template is to name the author's kind in the page's language."""
    if message.author_kind == AuthorKind.VISITOR:
        return contact.name or contact.email or ""
    return message.operator.name if message.operator else ""


def initials(name: str) -> str:
    letters = [word[0] for word in name.replace("@", " ").replace(".", " ").split() if word[:1].isalnum()]
    return "".join(letters[:2]).upper() or "?"


def deliveries(delivery: Mapping[str, object]) -> list[Delivery]:
    found: list[Delivery] = []
    for recipient, raw in sorted(delivery.items()):
        if not isinstance(raw, Mapping):
            continue
        status = str(raw.get("status", ""))
        error = str(raw.get("error") or "")
        if status == OutboxStatus.SENT:
            state = "sent"
        elif status == OutboxStatus.FAILED:
            state = "failed"
        else:
            state = "retrying" if error else "queued"
        found.append(Delivery(recipient, state, error))
    return found
