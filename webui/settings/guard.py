"""Settings pages are for admins: anyone else signed in gets 403, a visitor goes to log in."""

from __future__ import annotations

from functools import wraps

from starlette.requests import Request
from starlette.responses import Response

from chatcore.models import Operator
from webui.guard import AsyncHandler, SyncHandler, operator_required
from webui.pages import render

ADMIN = "admin"


def admin_required(handler: SyncHandler) -> AsyncHandler:
    """A plain `def` handler, run in the threadpool only for an admin."""

    @wraps(handler)
    def checked(request: Request) -> Response:
        operator: Operator = request.state.operator
        if operator.role != ADMIN:
            return render(request, "settings/forbidden.html", {"operator": operator}, 403)
        return handler(request)

    return operator_required(checked)
