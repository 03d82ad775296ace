"""Set-password links: signed, valid for a limited time, and good for one visit.

A link token is `<operator id>.<expiry, unix seconds>.<HMAC>`. The HMAC covers the operator's
address, password hash and session version too. Following a link raises the session version
(`spend`), which voids it and every link issued before; so does a new invitation, a new password and a
changed address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, update

from chatcore.models import Operator

VALID_FOR = timedelta(hours=72)
_MAC_CHARS = 32  # 192 bits of base64url
_NUMBER = re.compile(r"[0-9]{1,18}")
_LARGEST_ID = 2**31 - 1  # an integer column on PostgreSQL; a larger id would be a database error


def make_token(secret: str, operator: Operator, now: datetime) -> str:
    expires = int((now + VALID_FOR).timestamp())
    return f"{operator.id}.{expires}.{_mac(secret, operator, expires)}"


def operator_for(session: Session, secret: str, token: str, now: datetime) -> Operator | None:
    """The active operator the token was made for, or None when it is malformed, expired or spent."""
    parts = token.split(".")
    if len(parts) != 3 or not all(_NUMBER.fullmatch(part) for part in parts[:2]):
        return None
    operator_id, expires = int(parts[0]), int(parts[1])
    if now.timestamp() > expires or operator_id > _LARGEST_ID:
        return None
    operator = session.get(Operator, operator_id)
    if operator is None or not operator.active:
        return None
    if not hmac.compare_digest(parts[2].encode("ascii", "replace"), _mac(secret, operator, expires).encode()):
        return None
    return operator


def spend(session: Session, operator: Operator) -> bool:
    """Void the link `operator` was found by (and all others, and the operator's sessions); False when
    another request spent it first."""
    version = operator.session_version
    raised = session.execute(
        update(Operator)
        .where(col(Operator.id) == operator.id, col(Operator.session_version) == version)
        .values(session_version=version + 1)
    )
    if raised.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(operator, "session_version", version + 1)
    return True


def _mac(secret: str, operator: Operator, expires: int) -> str:
    signed = "\x00".join(
        (
            "relaydesk-set-password",
            str(operator.id),
            str(expires),
            operator.email,
            operator.password_hash,
            str(operator.session_version),
        )
    )
    digest = hmac.new(secret.encode("utf-8"), signed.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:_MAC_CHARS]
