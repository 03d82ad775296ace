"""What a live desk page fetches when the event stream says something changed: the list rows an event
touched (with the tab counts and the unread count for the tab title) and the open dialog with its card,
rendered by the same partials as the full pages, so the script swaps them in without a reload."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatcore import tags
from chatcore.inbox import InboxFilter, InboxPage, list_rows, tab_counts
from chatcore.models import Operator
from webui.desk.filters import view_from
from webui.desk.guard import deps_of, desk_page
from webui.pages import render

MAX_ROWS = 30  # ids one call asks about; a longer burst reloads the first page instead


def unread_dialogs(session: Session, operator: Operator) -> int:
    """Open dialogs with something this operator has not read: the number in the tab title."""
    return tab_counts(session, operator.id or 0, InboxFilter(status="open", unread=True)).all


@desk_page
def rows_json(request: Request) -> Response:
    """GET /inbox/live/rows?id=1&id=2&current=5&<the list's filters>: each asked row as HTML ("" when it
    no longer passes the filters), the tab counts and the unread count."""
    operator: Operator = request.state.operator
    view = view_from(request.query_params)
    ids = [int(raw) for raw in request.query_params.getlist("id") if raw.isdigit() and len(raw) < 10]
    current = request.query_params.get("current", "")
    with deps_of(request).read_session() as session:
        found = list_rows(session, operator.id or 0, view.to_filter(), ids[:MAX_ROWS])
        counts = tab_counts(session, operator.id or 0, view.to_filter())
        unread = unread_dialogs(session, operator)
        colours = tags.colours(session)
    context: dict[str, Any] = {
        "view": view,
        "tag_colours": colours,
        "current_id": int(current) if current.isdigit() and len(current) < 10 else None,
        "operator": operator,
    }
    rows = {
        str(ident): _row_html(request, context, InboxPage([found[ident]], None, counts))
        if ident in found
        else ""
        for ident in ids[:MAX_ROWS]
    }
    return JSONResponse(
        {
            "rows": rows,
            "counts": {"mine": counts.mine, "unassigned": counts.unassigned, "all": counts.all},
            "unread": unread,
        }
    )


def _row_html(request: Request, context: dict[str, Any], page: InboxPage) -> str:
    response = render(request, "desk/_rows.html", {**context, "page": page})
    return bytes(response.body).decode()
