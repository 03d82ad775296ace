"""POST /api/widget/pageviews: the widget tells which page the visitor opened (204, no body).

`{"visitor": SIGNED_VISITOR_ID, "url", "title", "referrer"}`: the signed id the widget keeps (the
value of the rd_visitor cookie, which is read when `visitor` is missing); one the server did not sign
is refused (422), never trusted.
The visitor's contact is made at their first page view.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatcore import contact_history
from chatcore.errors import FieldError
from chatcore.models import Contact
from webui.conflicts import once_more_on_conflict
from webui.deps import WebDeps
from webui.limits import parse_json
from webui.rate_limit import retry_after_header
from webui.widget import VISITOR_COOKIE, WidgetLimits

MAX_BODY = 16 * 1024
FIELDS = ("url", "title", "referrer")


def routes() -> list[Route]:
    return [Route("/api/widget/pageviews", post_page_view, methods=["POST"])]


def _error(status: int, message: str, field: str | None = None, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status, headers=headers or None)


async def post_page_view(request: Request) -> Response:
    deps: WebDeps = request.app.state.deps
    limits: WidgetLimits = request.app.state.widget_limits
    client = request.client.host if request.client else "unknown"
    wait = limits.per_address.take(client)
    if wait:
        return _error(
            429, "too many requests at once; wait a moment", None, **{"Retry-After": retry_after_header(wait)}
        )
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _error(415, "send JSON with Content-Type: application/json")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _error(413, f"the body is larger than {MAX_BODY} bytes")
    try:
        body = parse_json(raw)
    except ValueError:
        return _error(400, "the body is not valid JSON")
    if not isinstance(body, dict):
        return _error(400, "the body must be a JSON object")
    problem = _wrong_field(body)
    if problem:
        return _error(422, f"{problem} must be a string", problem)
    visitor_id = limits.ids.read(body.get("visitor") or request.cookies.get(VISITOR_COOKIE))
    if visitor_id is None:
        return _error(422, "visitor is not a visitor id this desk signed", "visitor")
    wait = limits.page_views.take(visitor_id)
    if wait:
        return _error(
            429, "too many requests at once; wait a moment", None, **{"Retry-After": retry_after_header(wait)}
        )
    view = contact_history.PageView(**{name: str(body.get(name) or "") for name in FIELDS})
    try:
        await run_in_threadpool(_record, deps, visitor_id, view)
    except FieldError as error:
        return _error(422, error.problem, error.field)
    return Response(status_code=204)


def _wrong_field(body: dict[str, Any]) -> str | None:
    for name in ("visitor", *FIELDS):
        if body.get(name) is not None and not isinstance(body[name], str):
            return name
    return None


def _record(deps: WebDeps, visitor_id: str, view: contact_history.PageView) -> None:
    once_more_on_conflict(lambda: _record_once(deps, visitor_id, view))


def _record_once(deps: WebDeps, visitor_id: str, view: contact_history.PageView) -> None:
    with Session(deps.engine, expire_on_commit=False) as session:
        now = deps.clock.now()
        contact = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).first()
        if contact is None:
            contact = Contact(visitor_id=visitor_id, first_seen=now, last_seen=now, language=deps.language)
        contact_history.record_page_view(session, contact, view, now, deps.history)
        session.commit()
