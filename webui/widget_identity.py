"""Who a widget visitor is, when the site says so: `data-user-id` with `data-user-hash` on the script tag.

The hash (hex HMAC-SHA256 of the user id under a site key's secret) is checked by the site keys' module
(`webui.site_identity.verify_user_hash`). A verified id ties the visitor to the site's contact with that
external id, so the user sees one history on every device.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from types import ModuleType

from sqlmodel import Session, select

from chatcore.models import Contact

MAX_USER_ID = 200


class Refused(Exception):
    """The user id came with a hash that does not verify (or without one)."""


def _site_identity() -> ModuleType | None:
    """The site keys' module; None while this build has no site keys (then no user id verifies).
    Imported by name so that the widget works before and after the site API lands."""
    try:
        return importlib.import_module("webui.site_identity")
    except ImportError:
        return None


def check(session: Session, user_id: str, user_hash: str) -> bool:
    """True when the site vouches for `user_id`; False when no user id was given; Refused otherwise."""
    if not user_id:
        return False
    module = _site_identity()
    if len(user_id) > MAX_USER_ID or not user_hash or module is None:
        raise Refused(user_id)
    if not module.verify_user_hash(session, user_id, user_hash):
        raise Refused(user_id)
    return True


def tie(session: Session, user_id: str, visitor_id: str, now: datetime, language: str) -> str:
    """The visitor id this verified user goes by from now on: the visitor's contact is folded into the
    site's contact with this external id (webui.site_identity.tie_visitor), which takes the visitor's id."""
    module = _site_identity()
    assert module is not None, "check() said yes, so the site keys' module is there"
    visitor = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).first()
    if visitor is None:
        visitor = Contact(visitor_id=visitor_id, first_seen=now, last_seen=now, language=language)
        session.add(visitor)
        session.flush()
    contact: Contact = module.tie_visitor(session, visitor, user_id)
    session.commit()
    return contact.visitor_id or visitor_id
