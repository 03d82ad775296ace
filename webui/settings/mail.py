"""Settings → Mail: quarantined inbound mail (look at it, retry it, delete it after a confirmation) and
outbound mail that failed or is being retried ("retry now"). Forms post with the CSRF token and come
back to the list with a notice; every handler is a plain `def` behind `admin_required`."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from chatcore import mail_review
from chatcore.models import SpoolStatus
from webui.deps import WebDeps
from webui.files import FRAME_SANDBOX, frame_response, parsed, preformatted
from webui.pages import render
from webui.settings.guard import admin_required
from webui.settings.nav import settings_context

PAGE_SIZE = 20
PAGE = "/settings/mail"
HELD = PAGE + "/quarantine/{spool_id:int}"
OUTBOX = PAGE + "/outbox/{outbox_id:int}"


def routes() -> list[Route]:
    return [
        Route(PAGE, mail_page, methods=["GET"]),
        Route(HELD, held_page, methods=["GET"]),
        Route(HELD + "/frame", held_frame, methods=["GET"]),
        Route(HELD + "/retry", held_retry, methods=["POST"]),
        Route(HELD + "/delete", delete_confirm, methods=["GET"]),
        Route(HELD + "/delete", delete_submit, methods=["POST"]),
        Route(OUTBOX + "/retry", outbox_retry, methods=["POST"]),
    ]


def _deps(request: Request) -> WebDeps:
    deps: WebDeps = request.app.state.deps
    return deps


def _positive(request: Request, name: str) -> int:
    """A page number or an id from the query string; 1 when it is missing or not one."""
    text = request.query_params.get(name, "1")
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 10 and int(text) > 0 else 1


def _back(notice: str, **extra: int) -> Response:
    query = "&".join([f"done={notice}", *(f"{key}={value}" for key, value in extra.items())])
    return RedirectResponse(f"{PAGE}?{query}", status_code=303)


@admin_required
def mail_page(request: Request) -> Response:
    held_page_no, out_page_no = _positive(request, "held"), _positive(request, "out")
    with _deps(request).read_session() as session:
        counts = mail_review.mail_counts(session)
        held = mail_review.quarantined_page(session, (held_page_no - 1) * PAGE_SIZE, PAGE_SIZE)
        failing = mail_review.failing_page(session, (out_page_no - 1) * PAGE_SIZE, PAGE_SIZE)
    context: dict[str, Any] = settings_context(
        request,
        "mail",
        counts=counts,
        held=held,
        failing=failing,
        held_page=held_page_no,
        out_page=out_page_no,
        held_pages=max(1, -(-counts.quarantined // PAGE_SIZE)),
        out_pages=max(1, -(-counts.failing // PAGE_SIZE)),
        done=request.query_params.get("done"),
        conversation_id=_positive(request, "conversation"),
        now=_deps(request).clock.now(),
    )
    return render(request, "settings/mail.html", context)


def _held(request: Request) -> tuple[mail_review.QuarantinedMail, bytes] | None:
    with _deps(request).read_session() as session:
        row = mail_review.quarantined_one(session, int(request.path_params["spool_id"]))
        return (mail_review.summary(row), row.raw) if row is not None else None


def _gone(request: Request) -> Response:
    return render(request, "not_found.html", {"operator": request.state.operator}, 404)


@admin_required
def held_page(request: Request) -> Response:
    found = _held(request)
    if found is None:
        return _gone(request)
    mail, raw = found
    context = settings_context(
        request,
        "mail",
        held=mail,
        mail=parsed(raw),
        frame_url=f"{PAGE}/quarantine/{mail.id}/frame",
        sandbox=FRAME_SANDBOX,
    )
    return render(request, "settings/mail_held.html", context)


@admin_required
def held_frame(request: Request) -> Response:
    """The mail as received, in the same sandboxed frame as a message's original: sanitized HTML (no
    scripts, no outside pictures), else the text; a mail that cannot be parsed shows its source."""
    found = _held(request)
    if found is None:
        return _gone(request)
    mail = parsed(found[1])
    if mail is None:
        return frame_response(request, preformatted(found[1].decode("utf-8", "replace")))
    return frame_response(request, mail.html if mail.html else preformatted(mail.text))


@admin_required
def held_retry(request: Request) -> Response:
    retries = _deps(request).mail_retries
    if retries is None:
        return Response("Retrying is not available in this process", status_code=503)
    spool_id = int(request.path_params["spool_id"])
    row = retries.retry_quarantined(spool_id)
    if row is None:
        return _back("gone")
    if row.status == SpoolStatus.QUARANTINED:
        return _back("still")
    with _deps(request).read_session() as session:
        conversation_id = mail_review.landed_in(session, spool_id)
    if conversation_id is None:
        return _back("processed")
    return _back("landed", conversation=conversation_id)


@admin_required
def delete_confirm(request: Request) -> Response:
    found = _held(request)
    if found is None:
        return _gone(request)
    return render(
        request, "settings/mail_delete.html", settings_context(request, "mail", held=found[0])
    )


@admin_required
def delete_submit(request: Request) -> Response:
    with Session(_deps(request).engine) as session:
        deleted = mail_review.delete_quarantined(session, int(request.path_params["spool_id"]))
        session.commit()
    return _back("deleted" if deleted else "gone")


@admin_required
def outbox_retry(request: Request) -> Response:
    retries = _deps(request).mail_retries
    if retries is None:
        return Response("Retrying is not available in this process", status_code=503)
    due = retries.retry_delivery(int(request.path_params["outbox_id"]))
    return _back("due" if due else "busy")
