"""GET /api/widget/events: the visitor's own conversations, live: the messages they can see (no notes).

Events name the message only; the page fetches it from /api/widget/messages, as before, which also
records that the visitor has seen it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatcore.events import LoggedEvent
from chatcore.models import Contact
from webui.deps import WebDeps
from webui.sse import BadCursor, event_stream, json_text, resume_cursor
from webui.widget import signed_visitor


def routes() -> list[Route]:
    return [Route("/api/widget/events", visitor_events)]


def visitor_of(request: Request) -> str | None:
    """The widget visitor's signed id (`?visitor=`, or the old cookie); a planted or altered one names
    nobody. The one place a visitor stream identifies who asks."""
    return signed_visitor(request)


async def visitor_events(request: Request) -> Response:
    deps: WebDeps = request.app.state.deps
    visitor = visitor_of(request)
    contact_id = await run_in_threadpool(_contact_of, deps, visitor) if visitor else None
    if contact_id is None:
        return JSONResponse({"error": "no conversation yet"}, status_code=401)
    try:
        after = resume_cursor(request)
    except BadCursor:
        return JSONResponse({"error": "not an event id", "field": "last_event_id"}, status_code=400)
    if deps.events is None:
        return JSONResponse({"error": "live events are not available here"}, status_code=503)
    return await event_stream(deps.events.subscribe(after), deps.event_heartbeat, visible_to(contact_id))


def _contact_of(deps: WebDeps, visitor: str) -> int | None:
    with Session(deps.engine) as session:
        return session.exec(select(Contact.id).where(Contact.visitor_id == visitor)).first()


def visible_to(contact_id: int) -> Callable[[LoggedEvent], str | None]:
    """Messages of the contact's conversations that the contact may see, and nothing else about them."""

    def render(event: LoggedEvent) -> str | None:
        payload = event.payload
        mine = event.type == "message_posted" and payload.get("contact_id") == contact_id
        if not mine or payload.get("is_note"):
            return None
        return json_text(
            {
                "type": event.type,
                "conversation_id": event.conversation_id,
                "message_id": payload.get("message_id"),
                "author_kind": payload.get("author_kind"),
            }
        )

    return render
