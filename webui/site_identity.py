"""Who a widget visitor is, when the site says so: `data-user-id` with `data-user-hash`.

The hash is the hex HMAC-SHA256 of the user id under a live site key (chatcore.site_keys). A verified
id folds the visitor's contact into the site's contact with that external id (see
chatcore.site_contacts.tie_visitor): merge, not link, so the desk shows one card with one history.
An unverified id must be refused by the caller; nothing here trusts the page.
"""

from __future__ import annotations

from sqlmodel import Session

from chatcore import site_contacts, site_keys
from chatcore.models import Contact

USER_ID_MAX = site_contacts.EXTERNAL_ID_MAX
HASH_CHARS = 64


def verify_user_hash(session: Session, user_id: str, user_hash: str) -> bool:
    """True when `user_hash` is the hex HMAC-SHA256 of `user_id` under any live site key."""
    if not user_id or len(user_id) > USER_ID_MAX or len(user_hash) != HASH_CHARS:
        return False
    return site_keys.hash_matches(session, user_id, user_hash)


def tie_visitor(session: Session, visitor: Contact, user_id: str) -> Contact:
    """The contact the visitor is from now on (call it only after verify_user_hash said yes): the
    site's contact with this external id, with the visitor's dialogs, page views and visits moved
    into it; or the visitor's own contact, which takes the id when the site has none yet. Flushes;
    the caller commits."""
    return site_contacts.tie_visitor(session, visitor, user_id)
