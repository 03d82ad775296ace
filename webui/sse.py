"""Server-Sent Events: frames, resume cursors and the streaming response shared by every stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from chatcore.events import LoggedEvent
from webui.deps import EventSubscription

RETRY_MS = 2000  # how long a browser waits before it reconnects
Render = Callable[[LoggedEvent], str | None]  # the event's JSON text; None: this stream does not send it


class BadCursor(ValueError):
    """The Last-Event-ID is not one this server gave."""


def resume_cursor(request: Request) -> int | None:
    """The id to resume after: the Last-Event-ID header a browser sends when it reconnects, or
    ?last_event_id= for a first connection that continues an earlier one. None: start from now."""
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    if raw is None or raw.strip() == "":
        return None
    try:
        cursor = int(raw)
    except ValueError:
        raise BadCursor(raw) from None
    if cursor < 0:
        raise BadCursor(raw)
    return cursor


def frame(cursor: int, data: str) -> str:
    return f"id: {cursor}\ndata: {data}\n\n"


def json_text(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


async def event_frames(
    subscription: EventSubscription, heartbeat: float, render: Render
) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n: connected\n\n"
    while True:
        batch = await subscription.next(heartbeat)
        if batch is None:
            return
        if not batch:
            yield ": keepalive\n\n"
            continue
        chunk = []
        for delivery in batch:
            if delivery.event is None:
                chunk.append(frame(delivery.cursor, '{"type":"reset"}'))
            elif (data := render(delivery.event)) is not None:
                chunk.append(frame(delivery.cursor, data))
        if chunk:
            yield "".join(chunk)


async def event_stream(
    subscription: EventSubscription, heartbeat: float, render: Render
) -> StreamingResponse:
    """The response headers tell the browser it is connected, so the stream's start is pinned first."""
    await subscription.open()
    return StreamingResponse(
        event_frames(subscription, heartbeat, render),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
