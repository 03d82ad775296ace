"""One email to an operator listing several conversations with new messages (a burst of new chats)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from bridge.context import Context
from bridge.i18n import language_or_default
from bridge.mailer import Envelope, contact_label, send_templated
from chatcore.models import Contact, Conversation, Message, Operator, ReadMark

DIGEST = "operator_digest"
MAX_CONVERSATIONS = 50  # a larger burst goes out as several digests
QUOTED_PER_CONVERSATION = 3
QUOTED_CHARS = 500


@dataclass(frozen=True)
class Waiting:
    """A conversation with messages this operator has neither read nor been emailed."""

    conversation: Conversation
    mark: ReadMark
    unread: Sequence[Message]


def send_digest(session: Session, context: Context, operator: Operator, waiting: Sequence[Waiting]) -> None:
    """No reply address: a digest answers no single conversation; each entry links to the inbox."""
    base = context.settings.site.base_url.rstrip("/")
    entries = [_entry(session, base, item) for item in waiting]
    send_templated(
        session,
        context,
        template=DIGEST,
        conversation=None,
        envelope=Envelope(
            operator.name,
            operator.email,
            None,
            language_or_default(operator.language, context.settings.site.language),
        ),
        values={"entries": entries, "count": len(entries), "inbox_url": f"{base}/inbox"},
        message_ids=[m.id or 0 for item in waiting for m in item.unread],
        kind="notify_operator",
        auto_submitted="auto-generated",
    )
    for item in waiting:
        item.mark.last_emailed_message_id = max(m.id or 0 for m in item.unread)
        session.add(item.mark)


def _entry(session: Session, base: str, item: Waiting) -> dict[str, object]:
    contact = session.get(Contact, item.conversation.contact_id)
    shown = item.unread[-QUOTED_PER_CONVERSATION:]
    return {
        "label": contact_label(contact) if contact else "",
        "subject": item.conversation.subject,
        "count": len(item.unread),
        "texts": [_clip(m.text) for m in shown],
        "more": len(item.unread) - len(shown),
        "url": f"{base}/inbox/{item.conversation.id}",
    }


def _clip(text: str) -> str:
    return text if len(text) <= QUOTED_CHARS else text[: QUOTED_CHARS - 1].rstrip() + "…"
