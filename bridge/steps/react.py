"""Step 7: what the stored mail sets off (notifications, autoreplies); imported history sets off nothing."""

from __future__ import annotations

from sqlmodel import Session

from bridge import notifications
from bridge.context import Context
from bridge.steps.item import Item


def react(item: Item, session: Session, context: Context) -> Item:
    if not item.quiet:
        notifications.react(session, context, list(item.events))
    return item
