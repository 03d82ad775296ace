"""The admin check for Settings pages: signed-in operators only (webui.guard), and of them admins only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from webui.guard import AsyncHandler, SyncHandler, operator_required
from webui.pages import page_language


def admin_required(handler: SyncHandler) -> AsyncHandler:
    """Like `operator_required`; an operator who is not an admin gets 403."""

    def checked(request: Request) -> Response:
        if request.state.operator.role != "admin":
            t = request.app.state.deps.translations(page_language(request, request.app.state.deps))
            return PlainTextResponse(t.gettext("Only administrators may open this page."), status_code=403)
        return handler(request)

    return operator_required(checked)
