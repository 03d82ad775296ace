"""Settings → Site keys: admins list, create and revoke the keys of the site's own server.

A revoked key stops working at the next request (every site API call looks its key up).
"""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from chatcore import site_keys
from chatcore.errors import FieldError
from webui.pages import render
from webui.settings.forms import deps_of, form_post
from webui.settings.guard import admin_required
from webui.settings.nav import settings_context

PATH = "/settings/site-keys"


def _page(request: Request, new_key: str = "", error: str = "", status: int = 200) -> Response:
    with deps_of(request).read_session() as session:
        keys = site_keys.all_keys(session)
    context = settings_context(
        request,
        "site-keys",
        keys=[(key, site_keys.shown(key)) for key in keys],
        new_key=new_key,
        error=error,
        done=request.query_params.get("done", ""),
    )
    return render(request, "settings/site_keys.html", context, status)


@admin_required
def keys_page(request: Request) -> Response:
    return _page(request)


def _create(request: Request, form: FormData) -> Response:
    """The new key is shown on this answer only (never in a URL, never stored in the session)."""
    deps = deps_of(request)
    with Session(deps.engine) as session:
        try:
            _row, key = site_keys.issue(session, str(form.get("name", "")), deps.clock.now())
        except FieldError:
            return _page(request, error="name", status=422)
        session.commit()
    return _page(request, new_key=key)


def _revoke(request: Request, form: FormData) -> Response:
    deps = deps_of(request)
    with Session(deps.engine) as session:
        site_keys.revoke(session, int(request.path_params["key_id"]), deps.clock.now())
        session.commit()
    return RedirectResponse(PATH + "?done=revoked", status_code=303)


create_submit = admin_required(form_post(_create))
revoke_submit = admin_required(form_post(_revoke))


def routes() -> list[Route]:
    return [
        Route(PATH, keys_page, methods=["GET"]),
        Route(PATH, create_submit, methods=["POST"]),
        Route(PATH + "/{key_id:int}/revoke", revoke_submit, methods=["POST"]),
    ]
