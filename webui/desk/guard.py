"""Who may see the desk, and how its handlers run: pages are plain `def` (Starlette's threadpool), form
posts read their body on the loop and do everything else in the threadpool, so no database work, hashing
or file copying ever blocks the event loop that also serves SMTP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from chatcore.models import Operator
from webui.auth import csrf_ok, signed_in_operator
from webui.deps import WebDeps
from webui.pages import render
from webui.uploads import MAX_FILES

MAX_ROW_ID = 2**31 - 1
Page = Callable[[Request], Response]
Action = Callable[[Request, FormData], Response]
AsyncHandler = Callable[[Request], Awaitable[Response]]


def deps_of(request: Request) -> WebDeps:
    deps: WebDeps = request.app.state.deps
    return deps


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def signed_in(request: Request) -> Operator | None:
    """The active operator of this session, if it is still valid (blocking: call it off the loop)."""
    return signed_in_operator(request)


def to_login(request: Request) -> Response:
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    return redirect("/login?next=" + quote(target, safe="/"))


def names_no_row(request: Request) -> bool:
    """An id in the path past what an INTEGER column holds names nothing (and must not reach the
    database, where PostgreSQL would refuse it as out of range)."""
    return any(isinstance(value, int) and value > MAX_ROW_ID for value in request.path_params.values())


def not_found(request: Request) -> Response:
    return render(request, "not_found.html", {"operator": request.state.operator}, 404)


def desk_page(handler: Page) -> Page:
    @wraps(handler)
    def checked(request: Request) -> Response:
        operator = signed_in(request)
        if operator is None:
            return to_login(request)
        request.state.operator = operator
        return not_found(request) if names_no_row(request) else handler(request)

    return checked


def desk_action(handler: Action) -> AsyncHandler:
    """A form post: the body is read here, the handler runs in the threadpool with the form."""

    @wraps(handler)
    async def checked(request: Request) -> Response:
        operator = await run_in_threadpool(signed_in, request)
        if operator is None:
            return to_login(request)
        request.state.operator = operator
        if names_no_row(request):
            return not_found(request)
        form = await request.form(max_files=MAX_FILES + 1, max_fields=200)
        request.state.list_query = str(form.get("view", "")).lstrip("?")  # the list the form came from
        try:
            return await run_in_threadpool(handler, request, form)
        finally:
            await form.close()

    return checked


def list_params(request: Request) -> QueryParams:
    """The dialog list's filters: from the URL of a page, from the form of a post."""
    carried = getattr(request.state, "list_query", None)
    return QueryParams(carried) if isinstance(carried, str) else request.query_params


def csrf_passed(request: Request, form: FormData) -> bool:
    """The form's `csrf` field or, for a script's fetch, the X-CSRF-Token header."""
    return csrf_ok(request, form.get("csrf") or request.headers.get("x-csrf-token"))
