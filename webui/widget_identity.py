"""Who a widget visitor is, when the site says so: `data-user-id` with `data-user-hash` on the script tag.

The hash (hex HMAC-SHA256 of the user id under a site key's secret) is checked by the site keys' module
(`webui.site_identity.verify_user_hash`). A verified id ties the visitor to the site's contact with that
external id, so the user sees one history on every device.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from chatcore.models import Contact
from webui.site_identity import tie_visitor, verify_user_hash

MAX_USER_ID = 200


class Refused(Exception):
    """The user id came with a hash that does not verify (or without one)."""


def check(session: Session, user_id: str, user_hash: str) -> bool:
    """True when the site vouches for `user_id`; False when no user id was given; Refused otherwise."""
    if not user_id:
        return False
    if len(user_id) > MAX_USER_ID or not user_hash:
        raise Refused(user_id)
    if not verify_user_hash(session, user_id, user_hash):
        raise Refused(user_id)
    return True


def tie(session: Session, user_id: str, visitor_id: str, now: datetime, language: str) -> str:
    """The visitor id this verified user goes by from now on: the visitor's contact is folded into the
    site's contact with this external id (webui.site_identity.tie_visitor), which takes the visitor's id."""
    visitor = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).first()
    if visitor is None:
        visitor = Contact(visitor_id=visitor_id, first_seen=now, last_seen=now, language=language)
        session.add(visitor)
        session.flush()
    contact = tie_visitor(session, visitor, user_id)
    session.commit()
    return contact.visitor_id or visitor_id
