"""Logging in and out of the operator desk.

The desk's own pages are in webui/desk/."""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from chatcore.models import Operator
from webui import desk
from webui.auth import csrf_ok, verify_password
from webui.deps import WebDeps
from webui.pages import render


def routes() -> list[Route]:
    return [
        Route("/", lambda request: _redirect("/inbox")),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        *desk.routes(),
    ]


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


async def login_page(request: Request) -> Response:
    return render(
        request, "login.html", {"email": "", "error": None, "next": request.query_params.get("next")}
    )


async def login_submit(request: Request) -> Response:
    deps: WebDeps = request.app.state.deps
    form = await request.form()
    email = str(form.get("email", "")).strip().lower()
    password = str(form.get("password", ""))
    target = str(form.get("next") or "/inbox")
    if not target.startswith("/") or target.startswith("//"):
        target = "/inbox"
    if not csrf_ok(request, form.get("csrf")):
        return render(request, "login.html", {"email": email, "error": "csrf", "next": target}, 400)
    with Session(deps.engine) as session:
        operator = session.exec(select(Operator).where(Operator.email == email)).first()
        if operator is None or not operator.active or not verify_password(operator.password_hash, password):
            return render(
                request, "login.html", {"email": email, "error": "credentials", "next": target}, 401
            )
        request.session.clear()
        request.session["operator_id"] = operator.id
        request.session["language"] = operator.language or deps.language
    return _redirect(target)


async def logout(request: Request) -> Response:
    form = await request.form()
    if csrf_ok(request, form.get("csrf")):
        request.session.clear()
    return _redirect("/login")
