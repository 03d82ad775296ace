"""Operator sessions, argon2 password checks and CSRF tokens for every form.

A session names its operator and carries the operator's session version and the moment it began.
`signed_in_operator` checks all three on every request; raising the version (log out everywhere, a
new password, deactivation) ends every session issued before. The cookie itself lapses after
SESSION_IDLE without a request (the session middleware's max_age), and SESSION_MAX after login in any
case.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from chatcore.models import Operator
from webui import last_seen
from webui.deps import WebDeps

SESSION_IDLE = timedelta(hours=12)
SESSION_MAX = timedelta(days=7)
HASHING_AT_ONCE = 2  # argon2 takes ~50 MB and a core for a while; more at once only queue up


def hash_password(password: str) -> str:
    return PasswordHasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return PasswordHasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class PasswordWork:
    """argon2 off the event loop (which also serves SMTP), a few at a time.

    `verify` takes as long for an unknown account as for a known one: it checks a dummy hash then.
    """

    def __init__(self, at_once: int = HASHING_AT_ONCE) -> None:
        self._slots = asyncio.Semaphore(at_once)
        self._dummy_hash = ""  # made on first need, in a worker thread like every hash

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        async with self._slots:
            if not stored_hash:
                await run_in_threadpool(verify_password, await self._dummy(), password)
                return False
            return await run_in_threadpool(verify_password, stored_hash, password)

    async def _dummy(self) -> str:
        if not self._dummy_hash:
            self._dummy_hash = await run_in_threadpool(hash_password, secrets.token_urlsafe(16))
        return self._dummy_hash

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await run_in_threadpool(hash_password, password)


def csrf_token(request: Request) -> str:
    session: dict[str, Any] = request.session
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok(request: Request, submitted: object) -> bool:
    expected = request.session.get("csrf")
    return (
        isinstance(expected, str) and isinstance(submitted, str) and hmac.compare_digest(expected, submitted)
    )


def operator_id(request: Request) -> int | None:
    value = request.session.get("operator_id")
    return value if isinstance(value, int) else None


def start_session(request: Request, operator: Operator, language: str, **extra: Any) -> None:
    """A new session for `operator` (anything the browser had before is dropped)."""
    deps: WebDeps = request.app.state.deps
    request.session.clear()
    request.session.update(
        {
            "operator_id": operator.id,
            "session_version": operator.session_version,
            "since": int(deps.clock.now().timestamp()),
            "language": language,
            **extra,
        }
    )


def signed_in_operator(request: Request) -> Operator | None:
    """The active operator this request's session belongs to, or None (and the session is emptied)
    when there is none, it was revoked, or it began more than SESSION_MAX ago."""
    deps: WebDeps = request.app.state.deps
    ident = operator_id(request)
    if ident is None:
        return None
    with deps.read_session() as session:
        operator = session.get(Operator, ident)
    if operator is None or not session_still_valid(request.session, operator, deps.clock.now()):
        request.session.clear()
        return None
    last_seen.note_request(deps, operator)
    return operator


def session_still_valid(stored: dict[str, Any], operator: Operator, now: datetime) -> bool:
    since = stored.get("since")
    return (
        operator.active
        and stored.get("session_version") == operator.session_version
        and isinstance(since, int)
        and now.timestamp() - since <= SESSION_MAX.total_seconds()
    )
