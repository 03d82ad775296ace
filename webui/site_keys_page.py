"""/settings/site-keys: admins list, create and revoke the keys of the site's own server.

A revoked key stops working at the next request (every site API call looks its key up). Operators
who are not admins get 403.
"""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatcore import site_keys
from chatcore.errors import FieldError
from webui.api.auth import ADMIN
from webui.desk.guard import deps_of, desk_action, desk_page, redirect
from webui.pages import render

PATH = "/settings/site-keys"


def routes() -> list[Route]:
    return [
        Route(PATH, keys_page, methods=["GET"]),
        Route(PATH, create_submit, methods=["POST"]),
        Route(PATH + "/{key_id:int}/revoke", revoke_submit, methods=["POST"]),
    ]


def _forbidden(request: Request) -> Response:
    # Its own 403 (not the Settings area's page) so that this module stands alone until it joins it.
    context = {"operator": request.state.operator, "forbidden": True}
    return render(request, "settings/site_keys.html", context, 403)


def _page(request: Request, new_key: str = "", error: str = "", status: int = 200) -> Response:
    with deps_of(request).read_session() as session:
        keys = site_keys.all_keys(session)
    context = {
        "operator": request.state.operator,
        "keys": [(key, site_keys.shown(key)) for key in keys],
        "new_key": new_key,
        "error": error,
        "done": request.query_params.get("done", ""),
    }
    return render(request, "settings/site_keys.html", context, status)


@desk_page
def keys_page(request: Request) -> Response:
    if request.state.operator.role != ADMIN:
        return _forbidden(request)
    return _page(request)


@desk_action
def create_submit(request: Request, form: FormData) -> Response:
    """The new key is shown on this answer only (never in a URL, never stored in the session)."""
    if request.state.operator.role != ADMIN:
        return _forbidden(request)
    deps = deps_of(request)
    with Session(deps.engine) as session:
        try:
            _row, key = site_keys.issue(session, str(form.get("name", "")), deps.clock.now())
        except FieldError:
            return _page(request, error="name", status=422)
        session.commit()
    return _page(request, new_key=key)


@desk_action
def revoke_submit(request: Request, form: FormData) -> Response:
    if request.state.operator.role != ADMIN:
        return _forbidden(request)
    deps = deps_of(request)
    with Session(deps.engine) as session:
        site_keys.revoke(session, int(request.path_params["key_id"]), deps.clock.now())
        session.commit()
    return redirect(PATH + "?done=revoked")
