"""Close dialogs that have been quiet for `[autoclose].after`, with a system message saying so."""

from __future__ import annotations

from sqlmodel import col, select

from bridge import notifications
from bridge.context import Context
from bridge.db import transaction
from bridge.i18n import language_or_default
from chatcore.events import Event
from chatcore.models import Contact, Conversation, ConversationStatus
from chatcore.services import Desk

BATCH = 100


def close_inactive(context: Context) -> int:
    """Close up to BATCH quiet open dialogs; returns how many were closed."""
    after = context.settings.autoclose.after
    if after is None:
        return 0
    now = context.clock.now()
    with transaction(context.engine) as session:
        quiet = session.exec(
            select(Conversation)
            .where(Conversation.status == ConversationStatus.OPEN, col(Conversation.updated_at) < now - after)
            .order_by(col(Conversation.updated_at))
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        desk = Desk(session, now)
        events: list[Event] = []
        for conversation in quiet:
            contact = session.get(Contact, conversation.contact_id)
            language = language_or_default(
                contact.language if contact else None, context.settings.site.language
            )
            events += desk.post_system_message(conversation, context.settings.autoclose.text_for(language))
            events += desk.close(conversation)
        notifications.react(session, context, events)
        return len(quiet)
