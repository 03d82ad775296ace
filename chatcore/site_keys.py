"""Keys of the site's own server: issued once, found by their SHA-256, revoked at once.

A key is also the HMAC secret the site computes user hashes with (`data-user-hash`), and HMAC needs
the secret on both sides, so the row keeps it (`secret`); docs/security.md says why that is acceptable.
Bearer lookups still go by the SHA-256 column: the index never compares secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from chatcore.errors import FieldError
from chatcore.models import SiteKey

PREFIX = "rds_"
NAME_MAX = 100
SHOWN_CHARS = 8  # what lists show of a key: enough to tell keys apart, too little to use


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue(session: Session, name: str, now: datetime) -> tuple[SiteKey, str]:
    """A new key: the row (flushed) and the key, which the caller shows once."""
    clean = " ".join(name.split())
    if len(clean) > NAME_MAX:
        raise FieldError("name", f"a key name has at most {NAME_MAX} characters")
    key = PREFIX + secrets.token_urlsafe(32)
    row = SiteKey(name=clean, key_sha256=digest(key), secret=key, created_at=now)
    session.add(row)
    session.flush()
    return row, key


def live_key(session: Session, key: str) -> SiteKey | None:
    """The live row of a key; None for an unknown, revoked or malformed one. Only reads."""
    if not key.startswith(PREFIX) or len(key) > 200:
        return None
    query = select(SiteKey).where(SiteKey.key_sha256 == digest(key), col(SiteKey.revoked_at).is_(None))
    return session.exec(query).first()


def live_keys(session: Session) -> list[SiteKey]:
    return list(
        session.exec(select(SiteKey).where(col(SiteKey.revoked_at).is_(None)).order_by(col(SiteKey.id)))
    )


def all_keys(session: Session) -> list[SiteKey]:
    """Every key, live ones first, newest first within each."""
    order = (col(SiteKey.revoked_at).is_not(None), col(SiteKey.id).desc())
    return list(session.exec(select(SiteKey).order_by(*order)))


def shown(row: SiteKey) -> str:
    return row.secret[: len(PREFIX) + SHOWN_CHARS] + "…"


def revoke(session: Session, key_id: int, now: datetime) -> bool:
    """False when there is no such live key."""
    row = session.get(SiteKey, key_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    session.add(row)
    return True


def user_hash(secret: str, user_id: str) -> str:
    """What the site's server computes: hex HMAC-SHA256 of the user id under the key."""
    return hmac.new(secret.encode("utf-8"), user_id.encode("utf-8"), hashlib.sha256).hexdigest()


def hash_matches(session: Session, user_id: str, given: str) -> bool:
    """True when `given` is the user hash of `user_id` under any live key (constant-time compares)."""
    wanted = given.strip().lower().encode("ascii", "replace")
    found = False
    for row in live_keys(session):
        found |= hmac.compare_digest(wanted, user_hash(row.secret, user_id).encode("ascii"))
    return found
