"""The admin check for Settings pages: an operator first (webui.guard), then the admin role.

A signed-in operator who is not an admin gets a 403 page, or a JSON error when the request asks for
JSON. The role is checked before the handler runs, so a non-admin's form is refused unread.
"""

from __future__ import annotations

import inspect
from functools import wraps
from typing import cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatcore.models import Operator
from webui.guard import AsyncHandler, SyncHandler, operator_required
from webui.pages import render

ADMIN = "admin"


def is_admin(operator: Operator) -> bool:
    return operator.role == ADMIN


def forbidden(request: Request) -> Response:
    """403 for a signed-in operator who is not an admin."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": "only admins may do this", "field": None}, status_code=403)
    return render(request, "settings/forbidden.html", {"operator": request.state.operator}, 403)


def admin_required(handler: SyncHandler | AsyncHandler) -> AsyncHandler:
    """Like operator_required, and 403 unless the session's operator is an admin."""
    if inspect.iscoroutinefunction(handler):
        awaited = cast(AsyncHandler, handler)

        @wraps(handler)
        async def gate_async(request: Request) -> Response:
            if not is_admin(request.state.operator):
                return forbidden(request)
            return await awaited(request)

        return operator_required(gate_async)
    plain = cast(SyncHandler, handler)

    @wraps(handler)
    def gate(request: Request) -> Response:
        return plain(request) if is_admin(request.state.operator) else forbidden(request)

    return operator_required(gate)
