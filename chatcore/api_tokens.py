"""Personal API tokens: issued once, kept as a SHA-256, revoked at once.

A token is random (256 bits), so a plain SHA-256 is enough to store it: there is nothing to guess.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from chatcore.errors import FieldError
from chatcore.models import ApiToken, Operator, SiteKey

PREFIX = "rdk_"
NAME_MAX = 100
# last_used_at is a hint for the profile page, not an audit log: writing it on every request would
# turn every API read into a write.
USE_PRECISION = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(session: Session, operator: Operator, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token for `operator`: the row (flushed) and the token, which is never stored."""
    clean = " ".join(name.split())
    if len(clean) > NAME_MAX:
        raise FieldError("name", f"a token name has at most {NAME_MAX} characters")
    if operator.id is None or not operator.active:
        raise FieldError("operator", f"operator {operator.email} is not active")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(operator_id=operator.id, name=clean, token_sha256=digest(token), created_at=now)
    session.add(row)
    session.flush()
    return row, token


def operator_for(session: Session, token: str) -> tuple[Operator, ApiToken] | None:
    """The active operator a live token belongs to, and the token's row; None for an unknown,
    revoked or malformed token, or one of a deactivated operator. Only reads."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    found = session.exec(
        select(Operator, ApiToken)
        .join(ApiToken, col(ApiToken.operator_id) == col(Operator.id))
        .where(ApiToken.token_sha256 == digest(token), col(ApiToken.revoked_at).is_(None))
    ).first()
    if found is None or not found[0].active:
        return None
    return found[0], found[1]


def use_to_note(row: ApiToken | SiteKey, now: datetime) -> bool:
    return row.last_used_at is None or now - row.last_used_at >= USE_PRECISION


def note_use(
    session: Session, token_id: int, now: datetime, model: type[ApiToken | SiteKey] = ApiToken
) -> None:
    """Record a use of a token (or a site key), at most once per USE_PRECISION; the caller commits."""
    session.execute(
        update(model)
        .where(
            col(model.id) == token_id,
            or_(col(model.last_used_at).is_(None), col(model.last_used_at) <= now - USE_PRECISION),
        )
        .values(last_used_at=now)
    )


def tokens_of(session: Session, operator_id: int) -> list[ApiToken]:
    """The operator's live tokens, newest first."""
    query = (
        select(ApiToken)
        .where(ApiToken.operator_id == operator_id, col(ApiToken.revoked_at).is_(None))
        .order_by(col(ApiToken.id).desc())
    )
    return list(session.exec(query))


def revoke(session: Session, operator_id: int, token_id: int, now: datetime) -> bool:
    """Revoke one of the operator's own tokens; False when there is no such live token."""
    row = session.get(ApiToken, token_id)
    if row is None or row.operator_id != operator_id or row.revoked_at is not None:
        return False
    row.revoked_at = now
    session.add(row)
    return True
