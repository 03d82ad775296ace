"""What the person's card shows beside its fields: the public avatar (looked up in the background when
[contacts].avatar_lookup is on), visits and where the first came from, and the last pages viewed."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request

from chatcore.contact_history import recent_page_views
from chatcore.models import Contact
from webui.contact_avatars import ContactAvatars, shown_url

PAGE_VIEWS_SHOWN = 5


def card_context(request: Request, session: Session, contact: Contact) -> dict[str, Any]:
    avatars: ContactAvatars = request.app.state.contact_avatars
    avatars.look_up(contact)  # never waits: the card shows initials until the image is there
    return {
        "contact_avatar": shown_url(contact),
        "page_views": recent_page_views(session, contact.id or 0, PAGE_VIEWS_SHOWN),
        "first_source": {key: value for key, value in contact.first_source.items() if value and key != "url"},
    }
