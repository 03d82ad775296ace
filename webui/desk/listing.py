"""Pane 1, the dialog list: /inbox with its filters in the query string, and /inbox/rows, the next cursor
page of rows as an HTML fragment for the script that loads more as the operator scrolls."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from chatcore import tags
from chatcore.directory import assignable_operators, tag_names
from chatcore.errors import DomainError
from chatcore.inbox import InboxPage, list_conversations
from chatcore.mail_review import needs_a_look
from chatcore.models import Operator
from webui.desk.filters import ListView, view_from
from webui.desk.guard import deps_of, desk_page, redirect
from webui.desk.live import unread_dialogs
from webui.pages import render

PAGE_SIZE = 30


def list_context(session: Session, operator: Operator, view: ListView, cursor: str | None) -> dict[str, Any]:
    """Everything the list pane draws; a bad cursor shows the first page."""
    try:
        page = list_conversations(session, operator.id or 0, view.to_filter(), PAGE_SIZE, cursor)
    except DomainError:
        page = list_conversations(session, operator.id or 0, view.to_filter(), PAGE_SIZE, None)
    operators = assignable_operators(session)
    return {
        "view": view,
        "page": page,
        "operators": operators,
        "operator_names": {o.id: o.name or o.email for o in operators},
        "tag_names": tag_names(session),
        "tag_colours": tags.colours(session),
    }


@desk_page
def inbox_page(request: Request) -> Response:
    operator: Operator = request.state.operator
    view = view_from(request.query_params)
    cursor = request.query_params.get("cursor")
    if cursor is None and request.url.query != view.query().lstrip("?"):
        return redirect("/inbox" + view.query())  # the filter form's empty fields go: one view, one URL
    with deps_of(request).read_session() as session:
        context = list_context(session, operator, view, cursor)
        context["unread"] = unread_dialogs(session, operator)
        context["mail_attention"] = needs_a_look(session, operator)
    return render(request, "desk/page.html", {**context, "operator": operator, "pane": "list"})


@desk_page
def rows_fragment(request: Request) -> Response:
    operator: Operator = request.state.operator
    view = view_from(request.query_params)
    cursor = request.query_params.get("cursor")
    with deps_of(request).read_session() as session:
        try:
            page: InboxPage = list_conversations(
                session, operator.id or 0, view.to_filter(), PAGE_SIZE, cursor
            )
        except DomainError:
            return render(request, "desk/_rows_error.html", {}, 400)
        colours = tags.colours(session)
    context = {"view": view, "page": page, "current_id": None, "operator": operator, "tag_colours": colours}
    return render(request, "desk/_rows.html", context)
