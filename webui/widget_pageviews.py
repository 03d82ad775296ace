"""POST /api/widget/pageviews: the widget records each page a visitor opens (URL, title, referrer, UTM tags).

A minimal version, kept until the site API's own recording of page views and visits replaces it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatcore.models import Contact, ContactEvent
from webui.deps import WebDeps
from webui.limits import parse_json
from webui.widget import signed_visitor

UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def routes() -> list[Route]:
    return [Route("/api/widget/pageviews", record_page_view, methods=["POST"])]


async def record_page_view(request: Request) -> Response:
    deps: WebDeps = request.app.state.deps
    try:
        body = parse_json(await request.body())
    except ValueError:
        return JSONResponse({"error": "the body is not valid JSON"}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
    visitor_id = signed_visitor(request, body.get("visitor"))
    if visitor_id is None:
        return JSONResponse({"error": "not a visitor id of this desk", "field": "visitor"}, status_code=403)
    await run_in_threadpool(_record, deps, visitor_id, body)
    return Response(status_code=204)


def _record(deps: WebDeps, visitor_id: str, body: dict[str, Any]) -> None:
    url = str(body.get("url", "") or "")[:2000]
    properties = {"referrer": str(body.get("referrer", "") or "")[:2000]}
    properties |= {key: value[:200] for key, value in parse_qsl(urlsplit(url).query) if key in UTM}
    now = deps.clock.now()
    with Session(deps.engine) as session:
        contact = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).first()
        if contact is None:
            contact = Contact(visitor_id=visitor_id, first_seen=now, last_seen=now, language=deps.language)
        contact.last_seen = now
        session.add(contact)
        session.flush()
        title = str(body.get("title", "") or "")[:500]
        session.add(
            ContactEvent(
                contact_id=contact.id or 0,
                kind="page_view",
                url=url,
                title=title,
                properties=properties,
                created_at=now,
            )
        )
        session.commit()
