"""Settings → Saved replies (every operator): shared replies and the operator's own personal ones.

The rules are chatcore.saved_replies' (as in /api/v1/saved-replies and the desk's composer): a
personal reply exists for its owner alone; a shared one is edited and deleted by its author and by
admins; only the author turns a reply shared or personal.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from chatcore import saved_replies
from chatcore.errors import DomainError, FieldError, NotFound
from chatcore.models import Operator
from chatcore.services import Desk
from webui.guard import operator_required
from webui.pages import render
from webui.settings.forms import checked, deps_of, form_post, path_id, translations
from webui.settings.nav import settings_context

PAGE = "/settings/saved-replies"
ONE = PAGE + "/{reply_id}"
MAX_QUERY = 200


def routes() -> list[Route]:
    return [
        Route(PAGE, replies_page, methods=["GET"]),
        Route(PAGE, create_submit, methods=["POST"]),
        Route(ONE, change_submit, methods=["POST"]),
        Route(ONE + "/delete", delete_submit, methods=["POST"]),
    ]


def _wanted_id(request: Request, name: str) -> int | None:
    text = request.query_params.get(name, "")
    return int(text) if text.isdigit() and len(text) < 10 else None


def _page(
    request: Request, errors: dict[str, str] | None = None, status_code: int = 200, **values: Any
) -> Response:
    operator: Operator = request.state.operator
    query = request.query_params.get("q", "")[:MAX_QUERY]
    with deps_of(request).read_session() as session:
        found = saved_replies.search(session, operator, query)
        owner_ids = {r.owner_id for r in found if r.owner_id is not None}
        owners = (
            session.exec(select(Operator).where(col(Operator.id).in_(owner_ids))).all() if owner_ids else []
        )
    editing_id = values.get("editing_id", _wanted_id(request, "edit"))
    editing = next((r for r in found if r.id == editing_id and saved_replies.may_edit(r, operator)), None)
    context = settings_context(
        request,
        "saved-replies",
        replies=found,
        owner_names={o.id: o.name or o.email for o in owners},
        may_edit=lambda reply: saved_replies.may_edit(reply, operator),
        q=query,
        errors=errors or {},
        editing=editing,
        confirm=next((r for r in found if r.id == _wanted_id(request, "delete")), None),
        title=values.get("title", editing.title if editing else ""),
        text=values.get("text", editing.text if editing else ""),
        shared=values.get("shared", editing.shared if editing else True),
        done=None if errors else request.query_params.get("done"),
    )
    response = render(request, "settings/saved_replies.html", context, status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


@operator_required
def replies_page(request: Request) -> Response:
    return _page(request)


def _done(what: str) -> Response:
    return RedirectResponse(f"{PAGE}?{urlencode({'done': what})}", status_code=303)


def _form_errors(request: Request, error: DomainError) -> dict[str, str]:
    t = translations(request)
    if isinstance(error, FieldError):
        return {error.field: t.gettext(error.problem)}
    if isinstance(error, NotFound):
        return {"form": t.gettext("This reply no longer exists.")}
    return {"form": t.gettext(str(error))}


def _status(error: DomainError) -> int:
    return 404 if isinstance(error, NotFound) else 403 if not isinstance(error, FieldError) else 422


def _create(request: Request, form: FormData) -> Response:
    deps = deps_of(request)
    draft = saved_replies.ReplyDraft(
        title=str(form.get("title", "")), text=str(form.get("text", "")), shared=checked(form, "shared")
    )
    try:
        with Session(deps.engine, expire_on_commit=False) as session:
            _reply, events = Desk(session, deps.clock.now()).add_saved_reply(request.state.operator, draft)
            deps.react(session, events)
            session.commit()
    except DomainError as error:
        values = {"title": draft.title, "text": draft.text, "shared": draft.shared}
        return _page(request, _form_errors(request, error), _status(error), editing_id=None, **values)
    return _done("created")


def _change(request: Request, form: FormData) -> Response:
    deps = deps_of(request)
    reply_id = path_id(request, "reply_id") or 0
    changes = saved_replies.ReplyChanges(
        title=str(form.get("title", "")), text=str(form.get("text", "")), shared=checked(form, "shared")
    )
    try:
        with Session(deps.engine, expire_on_commit=False) as session:
            desk = Desk(session, deps.clock.now())
            _reply, events = desk.change_saved_reply(reply_id, request.state.operator, changes)
            deps.react(session, events)
            session.commit()
    except DomainError as error:
        values = {"title": changes.title, "text": changes.text, "shared": changes.shared}
        return _page(request, _form_errors(request, error), _status(error), editing_id=reply_id, **values)
    return _done("saved")


def _delete(request: Request, form: FormData) -> Response:
    deps = deps_of(request)
    reply_id = path_id(request, "reply_id") or 0
    try:
        with Session(deps.engine, expire_on_commit=False) as session:
            events = Desk(session, deps.clock.now()).delete_saved_reply(reply_id, request.state.operator)
            deps.react(session, events)
            session.commit()
    except DomainError as error:
        return _page(request, _form_errors(request, error), _status(error))
    return _done("deleted")


create_submit = operator_required(form_post(_create))
change_submit = operator_required(form_post(_change))
delete_submit = operator_required(form_post(_delete))
