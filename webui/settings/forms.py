"""Form posts of the Settings pages: the body is read on the event loop, the work runs in the
threadpool (webui.guard explains why). CSRF is checked by webui.middleware before the handler."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from gettext import NullTranslations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from webui.api.endpoint import bounded_id
from webui.deps import WebDeps
from webui.guard import AsyncHandler
from webui.pages import page_language

FormWork = Callable[[Request, FormData], Response]


def form_post(work: FormWork) -> AsyncHandler:
    @wraps(work)
    async def handler(request: Request) -> Response:
        form = await request.form()
        return await run_in_threadpool(work, request, form)

    return handler


def deps_of(request: Request) -> WebDeps:
    deps: WebDeps = request.app.state.deps
    return deps


def translations(request: Request) -> NullTranslations:
    deps = deps_of(request)
    return deps.translations(page_language(request, deps))


def path_id(request: Request, name: str) -> int | None:
    """A path id that may name a row: 1 to 2**31-1; None otherwise."""
    return bounded_id(str(request.path_params.get(name, "")))


def checked(form: FormData, name: str) -> bool:
    return form.get(name) in ("1", "on", "true")
