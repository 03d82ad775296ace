"""Settings (/settings/...): one module a page, mounted by webui.app through `settings_routes`.

/settings itself leads to the first page the operator may use: Operators for admins, Saved replies
for everybody else.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from webui.guard import operator_required
from webui.settings import hours, mail, operators, saved_replies, site_keys, tags
from webui.settings.guard import is_admin


@operator_required
def settings_home(request: Request) -> Response:
    target = "/settings/operators" if is_admin(request.state.operator) else "/settings/saved-replies"
    return RedirectResponse(target, status_code=303)


settings_routes: list[BaseRoute] = [
    Route("/settings", settings_home, methods=["GET"]),
    *operators.routes(),
    *saved_replies.routes(),
    *tags.routes(),
    *mail.routes(),
    *hours.routes(),
    *site_keys.routes(),
]
