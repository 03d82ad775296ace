"""Who is calling: a personal token (`Authorization: Bearer TOKEN`) or the browser session."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from chatcore import api_tokens
from chatcore.models import ApiToken, Operator
from webui.api.errors import ApiError
from webui.auth import operator_id, session_still_valid

ADMIN = "admin"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="relaydesk"'}


class Unauthorized(ApiError):
    def __init__(self, error: str) -> None:
        super().__init__(401, error)

    def response(self) -> Response:
        response = super().response()
        response.headers.update(_CHALLENGE)
        return response


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header; "" for any other Authorization header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate(request: Request, session: Session) -> tuple[Operator, ApiToken | None]:
    """The active operator behind the request, and the token it came with; Unauthorized (401)
    otherwise. A token, when one is given, decides alone: a wrong token is refused even beside a
    valid session. Only reads."""
    token = bearer_token(request)
    if token is not None:
        found = api_tokens.operator_for(session, token) if token else None
        if found is None:
            raise Unauthorized("the token is unknown or revoked")
        return found
    ident = operator_id(request)
    operator = session.get(Operator, ident) if ident is not None else None
    now = request.app.state.deps.clock.now()
    if operator is None or not session_still_valid(request.session, operator, now):
        raise Unauthorized("log in or send Authorization: Bearer TOKEN")
    return operator, None


def require_admin(operator: Operator) -> None:
    if operator.role != ADMIN:
        raise ApiError(403, "only admins may do this")
