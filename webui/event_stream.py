"""GET /api/v1/events: every committed change, live, for signed-in operators (Server-Sent Events)."""

from __future__ import annotations

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatcore.events import LoggedEvent
from chatcore.models import Operator
from webui.auth import operator_id
from webui.deps import WebDeps
from webui.sse import BadCursor, event_stream, resume_cursor


def routes() -> list[Route]:
    return [Route("/api/v1/events", operator_events)]


async def stream_operator(request: Request) -> int | None:
    """The operator a stream is for, or None. The one place a stream checks who asks."""
    deps: WebDeps = request.app.state.deps
    ident = operator_id(request)
    if ident is None:
        return None

    def active() -> bool:
        with Session(deps.engine) as session:
            operator = session.get(Operator, ident)
            return operator is not None and operator.active

    return ident if await run_in_threadpool(active) else None


async def operator_events(request: Request) -> Response:
    deps: WebDeps = request.app.state.deps
    if await stream_operator(request) is None:
        return JSONResponse({"error": "sign in first"}, status_code=401)
    try:
        after = resume_cursor(request)
    except BadCursor:
        return JSONResponse({"error": "not an event id", "field": "last_event_id"}, status_code=400)
    if deps.events is None:
        return JSONResponse({"error": "live events are not available here"}, status_code=503)
    return await event_stream(deps.events.subscribe(after), deps.event_heartbeat, _everything)


def _everything(event: LoggedEvent) -> str:
    return event.json_text
