"""Checks made once, for every route, before any handler runs.

CSRF: every unsafe request that carries the session cookie must carry the session's token too, in
the `X-CSRF-Token` header or the `csrf` form field. Requests without the session cookie have no
session to abuse: a bearer token (or nothing, which the API answers with 401) authenticates them.
The visitor's widget API and a site's server API are authenticated otherwise and are not checked.

Forms whose handlers answer a bad token themselves, beside the form and with the draft kept, are
named in `self_checked`; the middleware leaves those to them (and does not read their bodies, so an
avatar upload is still refused by its size before it is read).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from http.cookies import CookieError, SimpleCookie
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webui.auth import csrf_ok
from webui.deps import WebDeps
from webui.pages import page_language

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
EXEMPT_PREFIXES = ("/api/widget/", "/api/v1/site/")
HEADER = "x-csrf-token"
FIELD = "csrf"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        session_cookie: str,
        max_form_size: int,
        self_checked: Collection[Callable[..., Any]] = (),
    ) -> None:
        self.app = app
        self.session_cookie = session_cookie
        self.max_form_size = max_form_size
        self.self_checked = tuple(self_checked)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or not self._needs_check(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        submitted: object = request.headers.get(HEADER)
        if submitted is None and _media_type(request) in FORM_TYPES:
            body = await _read_capped(receive, self._declared_size(request), self.max_form_size)
            if body is None:
                await _refuse(request, 413, "The request is too large.")(scope, receive, send)
                return
            receive = _replay(body, receive)
            submitted = await _form_field(scope, body, FIELD)
        if not csrf_ok(request, submitted):
            await _refuse(request, 403, "The form expired. Please try again.")(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _needs_check(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if path.startswith(EXEMPT_PREFIXES) or not self._has_session_cookie(scope):
            return False
        return not self._handler_checks_itself(scope)

    def _has_session_cookie(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"cookie":
                try:
                    cookies = SimpleCookie(value.decode("latin-1"))
                except CookieError:
                    continue
                if self.session_cookie in cookies:
                    return True
        return False

    def _handler_checks_itself(self, scope: Scope) -> bool:
        if not self.self_checked:
            return False
        for route in getattr(scope.get("app"), "routes", ()):
            if isinstance(route, Route):
                match, child = route.matches(scope)
                if match == Match.FULL:
                    return child.get("endpoint") in self.self_checked
        return False

    @staticmethod
    def _declared_size(request: Request) -> int | None:
        declared = request.headers.get("content-length", "")
        return int(declared) if declared.isascii() and declared.isdigit() and len(declared) < 16 else None


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _read_capped(receive: Receive, declared: int | None, limit: int) -> bytes | None:
    """The whole body, or None when it is larger than `limit`."""
    if declared is not None and declared > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that hands the body already read to the handler, then listens as before."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _form_field(scope: Scope, body: bytes, name: str) -> object:
    """One field of the form, parsed from a copy: the handler parses the body again for itself."""

    async def no_more() -> Message:
        return {"type": "http.disconnect"}

    copy = Request(scope, _replay(body, no_more))
    try:
        form: FormData = await copy.form()
    except Exception:  # a malformed form has no valid token either
        return None
    try:
        value = form.get(name)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


def _refuse(request: Request, status: int, text: str) -> Response:
    if request.url.path.startswith("/api/"):
        error = "the CSRF token is missing or wrong: send the X-CSRF-Token header" if status == 403 else text
        return JSONResponse({"error": error, "field": FIELD if status == 403 else None}, status_code=status)
    deps: WebDeps | None = getattr(getattr(request.app, "state", None), "deps", None)
    if deps is not None:
        text = deps.translations(page_language(request, deps)).gettext(text)
    return PlainTextResponse(text, status_code=status)
