"""Logging in and out of the operator's inbox.

The password check runs off the event loop (SMTP shares it) a few at a time, takes as long for an
address nobody has as for an operator's, and failures slow down further attempts per client address and
per account (429 with Retry-After, and the wait shown on the form).
"""

from __future__ import annotations

from sqlmodel import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from chatcore.models import Operator
from webui.auth import PasswordWork, csrf_ok, start_session
from webui.deps import WebDeps
from webui.login_throttle import LoginThrottle
from webui.pages import render


def routes() -> list[Route]:
    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _safe_target(value: object) -> str:
    target = str(value or "/inbox")
    return target if target.startswith("/") and not target.startswith("//") else "/inbox"


def _form_again(request: Request, email: str, target: str, status: int, **context: object) -> Response:
    return render(request, "login.html", {"email": email, "next": target, **context}, status)


async def login_page(request: Request) -> Response:
    return render(
        request, "login.html", {"email": "", "error": None, "next": request.query_params.get("next")}
    )


async def login_submit(request: Request) -> Response:
    deps: WebDeps = request.app.state.deps
    throttle: LoginThrottle = request.app.state.login_throttle
    form = await request.form()
    email = str(form.get("email", "")).strip().lower()[:320]
    password = str(form.get("password", ""))[:1024]
    target = _safe_target(form.get("next"))
    if not csrf_ok(request, form.get("csrf")):
        return _form_again(request, email, target, 400, error="csrf")
    address = request.client.host if request.client else "unknown"
    wait = throttle.wait_before(email, address, deps.clock.now())
    if wait:
        response = _form_again(request, email, target, 429, error="throttled", wait=wait)
        response.headers["Retry-After"] = str(wait)
        return response
    operator = await _checked_operator(request, deps, email, password)
    if operator is None:
        throttle.failed(email, address, deps.clock.now())
        return _form_again(request, email, target, 401, error="credentials")
    throttle.succeeded(email)
    start_session(request, operator, operator.language or deps.language)
    return _redirect(target)


async def _checked_operator(request: Request, deps: WebDeps, email: str, password: str) -> Operator | None:
    """The active operator with this address and password; a dummy hash is checked when there is none."""
    passwords: PasswordWork = request.app.state.passwords
    operator = await run_in_threadpool(_operator_named, deps, email)
    usable = operator is not None and operator.active
    stored_hash = operator.password_hash if operator is not None and usable else None
    if await passwords.verify(stored_hash, password) and usable:
        return operator
    return None


def _operator_named(deps: WebDeps, email: str) -> Operator | None:
    with deps.read_session() as session:
        return session.exec(select(Operator).where(Operator.email == email)).first()


async def logout(request: Request) -> Response:
    form = await request.form()
    if csrf_ok(request, form.get("csrf")):
        request.session.clear()
    return _redirect("/login")
