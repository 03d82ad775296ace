"""Settings → Operators (admins): the roster, invitations, roles, deactivation and reactivation.

Every change goes through chatcore.operators, so the page and /api/v1/operators refuse the same
things (the last active admin stays). An invitation is the one `relaydesk operator add` sends
(WebDeps.invite): a set-password link valid for a while; sending it again voids the earlier one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from chatcore import operators
from chatcore.errors import Conflict, DomainError, FieldError, NotFound
from chatcore.models import Operator
from chatcore.operators import NewOperator, OperatorChanges
from webui.pages import render
from webui.settings.forms import checked, deps_of, form_post, path_id, translations
from webui.settings.guard import admin_required
from webui.settings.nav import settings_context

PAGE = "/settings/operators"
ONE = PAGE + "/{operator_id}"


def routes() -> list[Route]:
    return [
        Route(PAGE, operators_page, methods=["GET"]),
        Route(PAGE, invite_submit, methods=["POST"]),
        Route(ONE + "/resend", resend_submit, methods=["POST"]),
        Route(ONE + "/role", role_submit, methods=["POST"]),
        Route(ONE + "/active", active_submit, methods=["POST"]),
    ]


def _page(
    request: Request, errors: dict[str, str] | None = None, status_code: int = 200, **values: Any
) -> Response:
    deps = deps_of(request)
    with deps.read_session() as session:
        rows = operators.roster(session)
    context = settings_context(
        request,
        "operators",
        rows=rows,
        errors=errors or {},
        row_error=values.get("row_error"),
        done=None if errors else request.query_params.get("done"),
        done_email=None if errors else request.query_params.get("email"),
        email=values.get("email", ""),
        name=values.get("name", ""),
        admin=values.get("admin", False),
        can_invite=deps.invite is not None,
    )
    response = render(request, "settings/operators.html", context, status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _done(what: str, email: str) -> Response:
    return RedirectResponse(f"{PAGE}?{urlencode({'done': what, 'email': email})}", status_code=303)


@admin_required
def operators_page(request: Request) -> Response:
    return _page(request)


def _invite(request: Request, form: FormData) -> Response:
    deps = deps_of(request)
    new = NewOperator(
        email=str(form.get("email", "")), name=str(form.get("name", "")), admin=checked(form, "admin")
    )
    values = {"email": new.email, "name": new.name, "admin": new.admin}
    if deps.invite is None:
        problem = translations(request).gettext("This desk cannot send invitations.")
        return _page(request, {"email": problem}, 503)
    try:
        with Session(deps.engine, expire_on_commit=False) as session:
            operator = operators.add_operator(session, new, deps.clock.now())
            deps.invite(session, operator)
            session.commit()
    except FieldError as error:
        problem = translations(request).gettext(error.problem)
        status = 409 if isinstance(error, Conflict) else 422
        return _page(request, {error.field: problem}, status, **values)
    return _done("invited", operator.email)


invite_submit = admin_required(form_post(_invite))


def _change(request: Request, changes: OperatorChanges, done: str) -> Response:
    deps = deps_of(request)
    operator_id = path_id(request, "operator_id")
    try:
        if operator_id is None:
            raise NotFound("no such operator")
        with Session(deps.engine, expire_on_commit=False) as session:
            operator = operators.change_operator(session, operator_id, changes)
            session.commit()
    except DomainError as error:
        problem = error.problem if isinstance(error, FieldError) else str(error)
        status = 404 if isinstance(error, NotFound) else 422
        row_error = (operator_id, translations(request).gettext(problem))
        return _page(request, None, status, row_error=row_error)
    return _done(done, operator.email)


def _role(request: Request, form: FormData) -> Response:
    return _change(request, OperatorChanges(admin=checked(form, "admin")), "role")


def _active(request: Request, form: FormData) -> Response:
    active = checked(form, "active")
    return _change(request, OperatorChanges(active=active), "reactivated" if active else "deactivated")


def _resend(request: Request, form: FormData) -> Response:
    deps = deps_of(request)
    operator_id = path_id(request, "operator_id")
    with Session(deps.engine, expire_on_commit=False) as session:
        operator = session.get(Operator, operator_id) if operator_id else None
        if operator is None or not operator.active or deps.invite is None:
            problem = translations(request).gettext("Only an active operator can be invited again.")
            return _page(request, None, 422, row_error=(operator_id, problem))
        deps.invite(session, operator)
        session.commit()
    return _done("resent", operator.email)


role_submit = admin_required(form_post(_role))
active_submit = admin_required(form_post(_active))
resend_submit = admin_required(form_post(_resend))
