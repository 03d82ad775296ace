"""Who a widget visitor is, when the site says so: `data-user-id` with `data-user-hash` on the script tag.

The hash (hex HMAC-SHA256 of the user id under a site key's secret) is checked by the site keys' module
(`webui.site_identity.verify_user_hash`). A verified id ties the visitor to the site's contact with that
external id: the widget takes over that contact's visitor id, so the user sees one history on every device.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from chatcore.models import Contact

Verifier = Callable[[Session, str, str], bool]
MAX_USER_ID = 200


class Refused(Exception):
    """The user id came with a hash that does not verify (or without one)."""


def _verifier() -> Verifier | None:
    """The site keys' check; None while no site keys exist in this build (then nothing verifies)."""
    try:
        module = importlib.import_module("webui.site_identity")
    except ImportError:
        return None
    found: Verifier | None = getattr(module, "verify_user_hash", None)
    return found


def check(session: Session, user_id: str, user_hash: str) -> bool:
    """True when the site vouches for `user_id`; False when no user id was given; Refused otherwise."""
    if not user_id:
        return False
    verify = _verifier()
    if (
        len(user_id) > MAX_USER_ID
        or not user_hash
        or verify is None
        or not verify(session, user_id, user_hash)
    ):
        raise Refused(user_id)
    return True


def site_contact(session: Session, user_id: str) -> Contact | None:
    """The contact the site's server upserted under this external id, if the build stores them."""
    column: Any = getattr(Contact, "external_id", None)
    if column is None:
        return None
    return session.exec(select(Contact).where(column == user_id)).first()


def tie(session: Session, user_id: str, visitor_id: str, fresh_id: Callable[[], str]) -> str:
    """The visitor id this verified user goes by from now on (written onto the site's contact)."""
    contact = site_contact(session, user_id)
    if contact is None:
        return visitor_id  # the site has not told us about this user yet: an anonymous visitor for now
    if contact.visitor_id:
        return contact.visitor_id
    taken = session.exec(select(Contact.id).where(Contact.visitor_id == visitor_id)).first()
    contact.visitor_id = fresh_id() if taken is not None else visitor_id
    session.add(contact)
    session.commit()
    return contact.visitor_id
