"""The operator check for pages, run off the event loop.

`relaydesk serve` runs the web app, the SMTP server and the streams on one event loop, so a handler
that waits on the database, hashes a password or parses a mail must not run on it: such work goes to
Starlette's threadpool. A plain `def` handler runs there whole; an `async def` one (which must await
the request body) runs only the operator lookup there and hands its own blocking work over with
`run_in_threadpool`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import cast

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from webui.auth import signed_in_operator

AsyncHandler = Callable[[Request], Awaitable[Response]]
SyncHandler = Callable[[Request], Response]


def operator_required(handler: SyncHandler | AsyncHandler) -> AsyncHandler:
    """Sets request.state.operator to the session's active operator, or sends the visitor to log in."""
    if inspect.iscoroutinefunction(handler):
        awaited = cast(AsyncHandler, handler)

        @wraps(handler)
        async def checked_async(request: Request) -> Response:
            refused = await run_in_threadpool(_refusal, request)
            return refused if refused is not None else await awaited(request)

        return checked_async
    plain = cast(SyncHandler, handler)

    def run(request: Request) -> Response:
        refused = _refusal(request)
        return refused if refused is not None else plain(request)

    @wraps(handler)
    async def checked(request: Request) -> Response:
        return await run_in_threadpool(run, request)

    return checked


def _refusal(request: Request) -> Response | None:
    operator = signed_in_operator(request)
    if operator is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    request.state.operator = operator
    return None
