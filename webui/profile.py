"""The operator's own profile (/inbox/profile) and the set-password link that leads to it.

Each form posts to its own address and, on a problem, shows the page again with the message beside
the field and nothing changed. A session that arrived through a valid set-password link may set a
password without the current one; setting it spends the link. The database, argon2 and the page run
in the threadpool (webui.guard); only reading the request body is awaited on the event loop.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from gettext import NullTranslations
from typing import Any

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from chatcore.models import Operator
from webui import password_links
from webui.auth import csrf_ok, hash_password, verify_password
from webui.deps import WebDeps
from webui.guard import operator_required
from webui.pages import page_language, render
from webui.profile_forms import (
    Details,
    check_avatar,
    check_details,
    check_new_password,
    clean_name,
    parse_alternates,
    too_large,
)

PROFILE = "/inbox/profile"
LINK_KEY = "password_link"
MULTIPART_SLACK = 64 * 1024  # the form's other fields and part headers around the image
_NUMBER = re.compile(r"[0-9]{1,15}")


def routes() -> list[Route]:
    return [
        Route(PROFILE, profile_page, methods=["GET"]),
        Route(PROFILE, details_submit, methods=["POST"]),
        Route(f"{PROFILE}/password", password_submit, methods=["POST"]),
        Route(f"{PROFILE}/avatar", avatar_submit, methods=["POST"]),
        Route("/set-password/{token}", set_password_link, methods=["GET"]),
    ]


def _deps(request: Request) -> WebDeps:
    deps: WebDeps = request.app.state.deps
    return deps


def _translations(request: Request) -> NullTranslations:
    deps = _deps(request)
    return deps.translations(page_language(request, deps))


def _saved(what: str) -> Response:
    return RedirectResponse(f"{PROFILE}?saved={what}", status_code=303)


def _page(
    request: Request, errors: dict[str, str] | None = None, status_code: int = 200, **values: Any
) -> Response:
    operator: Operator = request.state.operator
    saved = request.query_params.get("saved") if not errors else None
    context = {
        "operator": operator,
        "errors": errors or {},
        "saved": saved,
        "via_link": _arrived_by_link(request, operator),
        "name": values.get("name", operator.name),
        "language": values.get("language", operator.language or _deps(request).language),
        "alternates": values.get("alternates", "\n".join(operator.alternate_emails)),
        "notify_email": values.get("notify_email", operator.notify_email),
    }
    response = render(request, "profile.html", context, status_code)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _arrived_by_link(request: Request, operator: Operator) -> bool:
    token = request.session.get(LINK_KEY)
    if not isinstance(token, str):
        return False
    deps = _deps(request)
    with deps.read_session() as session:
        found = password_links.operator_for(session, deps.secret_key, token, deps.clock.now())
    return found is not None and found.id == operator.id


def _expired_form(request: Request) -> Response:
    expired = _translations(request).gettext("The form expired. Please try again.")
    return _page(request, {"form": expired}, 400)


@operator_required
def profile_page(request: Request) -> Response:
    return _page(request)


@operator_required
async def details_submit(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_save_details, request, form)


def _save_details(request: Request, form: FormData) -> Response:
    if not csrf_ok(request, form.get("csrf")):
        return _expired_form(request)
    deps = _deps(request)
    operator: Operator = request.state.operator
    raw_alternates = str(form.get("alternates", ""))
    details = Details(
        name=clean_name(str(form.get("name", ""))),
        language=str(form.get("language", "")),
        alternates=parse_alternates(raw_alternates, operator.email),
        notify_email=form.get("notify_email") == "1",
    )
    with Session(deps.engine) as session:
        taken = _addresses_of_others(session, operator)
        errors = check_details(details, [deps.mail_address], taken, _translations(request))
        if errors:
            values = {**asdict(details), "alternates": raw_alternates}
            return _page(request, errors, 422, **values)
        row = _own_row(session, operator)
        row.name, row.language, row.notify_email = details.name, details.language, details.notify_email
        row.alternate_emails = list(details.alternates)
        session.add(row)
        session.commit()
    request.session["language"] = details.language
    return _saved("details")


def _addresses_of_others(session: Session, operator: Operator) -> set[str]:
    taken: set[str] = set()
    for other in session.exec(select(Operator).where(col(Operator.id) != operator.id)):
        taken.add(other.email.lower())
        taken.update(address.lower() for address in other.alternate_emails)
    return taken


def _own_row(session: Session, operator: Operator) -> Operator:
    row = session.get(Operator, operator.id)
    assert row is not None, "operator_required found this operator a moment ago"
    return row


@operator_required
async def password_submit(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_change_password, request, form)


def _change_password(request: Request, form: FormData) -> Response:
    if not csrf_ok(request, form.get("csrf")):
        return _expired_form(request)
    operator: Operator = request.state.operator
    t = _translations(request)
    errors: dict[str, str] = {}
    if not _arrived_by_link(request, operator) and not verify_password(
        operator.password_hash, str(form.get("current_password", ""))
    ):
        errors["current_password"] = t.gettext("The current password is wrong.")
    problem = check_new_password(str(form.get("new_password", "")), str(form.get("repeat_password", "")), t)
    if problem:
        errors["new_password"] = problem
    if errors:
        return _page(request, errors, 422)
    deps = _deps(request)
    with Session(deps.engine) as session:
        row = _own_row(session, operator)
        row.password_hash = hash_password(str(form["new_password"]))
        session.add(row)
        session.commit()
    request.session.pop(LINK_KEY, None)
    return _saved("password")


@operator_required
async def avatar_submit(request: Request) -> Response:
    deps = _deps(request)
    t = _translations(request)
    length = request.headers.get("content-length", "")
    if not _NUMBER.fullmatch(length) or int(length) > deps.max_avatar_size + MULTIPART_SLACK:
        # Refused before the body is read, so an oversized upload costs neither disk nor memory.
        return await run_in_threadpool(_page, request, {"avatar": too_large(deps.max_avatar_size, t)}, 413)
    try:
        form = await request.form(max_files=1, max_fields=5)
    except HTTPException:
        problem = t.gettext("The upload could not be read. Please try again.")
        return await run_in_threadpool(_page, request, {"avatar": problem}, 400)
    data = await _upload_bytes(form, deps.max_avatar_size)
    return await run_in_threadpool(_save_avatar, request, form, data)


def _save_avatar(request: Request, form: FormData, data: bytes) -> Response:
    if not csrf_ok(request, form.get("csrf")):
        return _expired_form(request)
    if form.get("remove") == "1":
        return _store_avatar(request, None)
    deps = _deps(request)
    problem = check_avatar(data, deps.max_avatar_size, _translations(request))
    if problem:
        return _page(request, {"avatar": problem}, 422)
    return _store_avatar(request, deps.blobs.put(data))


async def _upload_bytes(form: FormData, limit: int) -> bytes:
    upload = form.get("avatar")
    if not isinstance(upload, UploadFile):
        return b""
    return await upload.read(limit + 1)


def _store_avatar(request: Request, digest: str | None) -> Response:
    deps = _deps(request)
    with Session(deps.engine) as session:
        row = _own_row(session, request.state.operator)
        row.avatar_sha256 = digest
        session.add(row)
        session.commit()
    return _saved("avatar")


def set_password_link(request: Request) -> Response:
    """A valid link logs its operator in and leads to the profile, where they choose a password."""
    deps = _deps(request)
    token = str(request.path_params["token"])
    with deps.read_session() as session:
        operator = password_links.operator_for(session, deps.secret_key, token, deps.clock.now())
    response: Response
    if operator is None:
        response = render(request, "link_expired.html", {}, 410)
    else:
        request.session.clear()
        request.session.update(
            {"operator_id": operator.id, "language": operator.language or deps.language, LINK_KEY: token}
        )
        response = RedirectResponse(PROFILE, status_code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
