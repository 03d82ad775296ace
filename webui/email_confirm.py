"""The page behind a confirmation link: the owner of an address presses a button to confirm it.

Following the link only shows the button (mail scanners open links); the POST, with the form's CSRF
token, is what verifies the address.
"""

from __future__ import annotations

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatcore.identity import verify_email
from chatcore.models import Contact
from webui.auth import csrf_ok
from webui.deps import WebDeps
from webui.email_links import Confirmation, contact_id_of, read_token
from webui.pages import render


def routes() -> list[Route]:
    return [
        Route("/confirm-email/{token}", confirm_page, methods=["GET"]),
        Route("/confirm-email/{token}", confirm_submit, methods=["POST"]),
    ]


def _confirmation(session: Session, deps: WebDeps, token: str) -> Confirmation | None:
    contact_id = contact_id_of(token)
    contact = session.get(Contact, contact_id) if contact_id is not None else None
    if contact is None or not contact.email:
        return None
    return read_token(deps.secret_key, token, {contact.id or 0: contact.email}, deps.clock.now())


def confirm_page(request: Request) -> Response:
    """Plain `def` (threadpool): the page reads the database."""
    deps: WebDeps = request.app.state.deps
    with deps.read_session() as session:
        found = _confirmation(session, deps, request.path_params["token"])
    if found is None:
        return render(request, "confirm_email.html", {"state": "invalid"}, 404)
    return render(request, "confirm_email.html", {"state": "ask", "address": found.address})


async def confirm_submit(request: Request) -> Response:
    deps: WebDeps = request.app.state.deps
    form = await request.form()
    return await run_in_threadpool(_confirm, request, deps, form.get("csrf"))


def _confirm(request: Request, deps: WebDeps, csrf: object) -> Response:
    with Session(deps.engine) as session:
        found = _confirmation(session, deps, request.path_params["token"])
        if found is None:
            return render(request, "confirm_email.html", {"state": "invalid"}, 404)
        if not csrf_ok(request, csrf):
            return render(request, "confirm_email.html", {"state": "ask", "address": found.address}, 400)
        contact = session.get(Contact, found.contact_id)
        assert contact is not None
        verify_email(session, contact, found.address, deps.clock.now())
        session.commit()
    return render(request, "confirm_email.html", {"state": "done", "address": found.address})
