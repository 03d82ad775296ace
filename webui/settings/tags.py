"""Settings → Tags (admins): every tag with its count; rename, recolour, merge into another, delete.

Deleting asks first: the page shows what would be lost and a second button that does it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from chatcore import tags
from chatcore.errors import Conflict, DomainError, FieldError, NotFound
from webui.pages import render
from webui.settings.forms import deps_of, form_post, translations
from webui.settings.guard import admin_required
from webui.settings.nav import settings_context

PAGE = "/settings/tags"
ONE = PAGE + "/{name}"


def routes() -> list[Route]:
    return [
        Route(PAGE, tags_page, methods=["GET"]),
        Route(ONE, change_submit, methods=["POST"]),
        Route(ONE + "/merge", merge_submit, methods=["POST"]),
        Route(ONE + "/delete", delete_submit, methods=["POST"]),
    ]


def tag_path(name: str) -> str:
    return f"{PAGE}/{quote(name, safe='')}"


def _page(request: Request, status_code: int = 200, **values: Any) -> Response:
    with deps_of(request).read_session() as session:
        found = tags.counts(session)
    confirm = request.query_params.get("delete")
    context = settings_context(
        request,
        "tags",
        tags=found,
        palette=tags.PALETTE,
        tag_path=tag_path,
        row_error=values.get("row_error"),
        confirm=next((t for t in found if t.name == confirm), None),
        done=None if status_code != 200 else request.query_params.get("done"),
        done_name=request.query_params.get("name", ""),
    )
    response = render(request, "settings/tags.html", context, status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


@admin_required
def tags_page(request: Request) -> Response:
    return _page(request)


def _done(what: str, name: str) -> Response:
    return RedirectResponse(f"{PAGE}?{urlencode({'done': what, 'name': name})}", status_code=303)


def _refused(request: Request, name: str, error: DomainError) -> Response:
    t = translations(request)
    status = 409 if isinstance(error, Conflict) else 404 if isinstance(error, NotFound) else 422
    return _page(request, status, row_error=(name, t.gettext(_problem(error))))


def _problem(error: DomainError) -> str:
    """The msgid to show for a refusal of chatcore.tags (whose own texts name the values)."""
    if isinstance(error, NotFound):
        return "This tag no longer exists."
    if isinstance(error, Conflict):
        return "A tag with this name exists already: merge the two instead."
    field = error.field if isinstance(error, FieldError) else ""
    if field == "into":
        return "Choose another tag to merge into."
    if field == "colour":
        return "Choose a colour from the list."
    return "A tag is one word: letters, digits, “-”, “_” or “.”."


def _change(request: Request, form: FormData) -> Response:
    name = str(request.path_params["name"])
    new_name = str(form.get("name", "")).strip() or None
    colour = str(form["colour"]) if "colour" in form else None
    deps = deps_of(request)
    try:
        with Session(deps.engine, expire_on_commit=False) as session:
            tag = tags.change(session, name, new_name, colour)
            session.commit()
    except DomainError as error:
        return _refused(request, name, error)
    return _done("changed", tag.name)


def _merge(request: Request, form: FormData) -> Response:
    name = str(request.path_params["name"])
    deps = deps_of(request)
    try:
        with Session(deps.engine, expire_on_commit=False) as session:
            target = tags.merge(session, name, str(form.get("into", "")))
            session.commit()
    except DomainError as error:
        return _refused(request, name, error)
    return _done("merged", target.name)


def _delete(request: Request, form: FormData) -> Response:
    name = str(request.path_params["name"])
    deps = deps_of(request)
    try:
        with Session(deps.engine, expire_on_commit=False) as session:
            tags.remove(session, name)
            session.commit()
    except DomainError as error:
        return _refused(request, name, error)
    return _done("deleted", name)


change_submit = admin_required(form_post(_change))
merge_submit = admin_required(form_post(_merge))
delete_submit = admin_required(form_post(_delete))
