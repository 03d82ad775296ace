"""The operator's own profile (/inbox/profile) and the set-password link that leads to it.

Each form posts to its own address and, on a problem, shows the page again with the message beside
the field and nothing changed. Following a set-password link spends it and starts a session that may set
a password without the current one, once. A new password, and "log out everywhere", end every other
session of the operator. The database, argon2 and the page run in the threadpool (webui.guard); only
reading the request body is awaited on the event loop.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from gettext import NullTranslations
from typing import Any

from anyio import from_thread
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from chatcore import api_tokens
from chatcore.errors import FieldError
from chatcore.models import ApiToken, Operator
from chatcore.operator_sessions import revoke_sessions
from webui import password_links
from webui.auth import PasswordWork, csrf_ok, start_session
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
_TOKEN_ID = re.compile(r"[0-9]{1,9}")  # ids are 32-bit: a longer number names no token


def routes() -> list[Route]:
    return [
        Route(PROFILE, profile_page, methods=["GET"]),
        Route(PROFILE, details_submit, methods=["POST"]),
        Route(f"{PROFILE}/password", password_submit, methods=["POST"]),
        Route(f"{PROFILE}/avatar", avatar_submit, methods=["POST"]),
        Route(f"{PROFILE}/tokens", token_submit, methods=["POST"]),
        Route(f"{PROFILE}/tokens/{{token_id}}/revoke", token_revoke, methods=["POST"]),
        Route(f"{PROFILE}/sessions", log_out_everywhere, methods=["POST"]),
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
        "tokens": _tokens_of(request, operator),
        "token_name": values.get("token_name", ""),
        "new_token": values.get("new_token"),
        "notify_sound": values.get("notify_sound", operator.notify_sound),
        "notify_browser": values.get("notify_browser", operator.notify_browser),
    }
    response = render(request, "profile.html", context, status_code)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _tokens_of(request: Request, operator: Operator) -> list[ApiToken]:
    with _deps(request).read_session() as session:
        return api_tokens.tokens_of(session, operator.id or 0)


def _arrived_by_link(request: Request, operator: Operator) -> bool:
    """The session began at a set-password link (operator_required has checked it is still current)."""
    return request.session.get(LINK_KEY) is True and request.session.get("operator_id") == operator.id


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
        notify_sound=form.get("notify_sound") == "1",
        notify_browser=form.get("notify_browser") == "1",
    )
    with Session(deps.engine) as session:
        taken = _addresses_of_others(session, operator)
    errors = check_details(details, [deps.mail_address], taken, _translations(request))
    if errors:  # the page reads the database again: shown outside the session above
        values = {**asdict(details), "alternates": raw_alternates}
        return _page(request, errors, 422, **values)
    with Session(deps.engine) as session:
        row = _own_row(session, operator)
        row.name, row.language, row.notify_email = details.name, details.language, details.notify_email
        row.notify_sound, row.notify_browser = details.notify_sound, details.notify_browser
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
    passwords: PasswordWork = request.app.state.passwords
    t = _translations(request)
    errors: dict[str, str] = {}
    if not _arrived_by_link(request, operator) and not from_thread.run(
        passwords.verify, operator.password_hash, str(form.get("current_password", ""))[:1024]
    ):
        errors["current_password"] = t.gettext("The current password is wrong.")
    problem = check_new_password(str(form.get("new_password", "")), str(form.get("repeat_password", "")), t)
    if problem:
        errors["new_password"] = problem
    if errors:
        return _page(request, errors, 422)
    new_hash = from_thread.run(passwords.hash, str(form["new_password"]))
    deps = _deps(request)
    with Session(deps.engine, expire_on_commit=False) as session:
        row = _own_row(session, operator)
        row.password_hash = new_hash
        revoke_sessions(row)
        session.add(row)
        session.commit()
    start_session(request, row, str(request.session.get("language") or deps.language))
    return _saved("password")


@operator_required
def log_out_everywhere(request: Request) -> Response:
    """Ends every session of this operator, this one included (CSRF: the middleware)."""
    with Session(_deps(request).engine) as session:
        row = _own_row(session, request.state.operator)
        revoke_sessions(row)
        session.add(row)
        session.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


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
    """A valid link logs its operator in, once, and leads to the profile, where they choose a password."""
    deps = _deps(request)
    token = str(request.path_params["token"])
    with Session(deps.engine, expire_on_commit=False) as session:
        operator = password_links.operator_for(session, deps.secret_key, token, deps.clock.now())
        spent = operator is not None and password_links.spend(session, operator)
        session.commit()
    response: Response
    if operator is None or not spent:
        response = render(request, "link_expired.html", {}, 410)
    else:
        start_session(request, operator, operator.language or deps.language, **{LINK_KEY: True})
        response = RedirectResponse(PROFILE, status_code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@operator_required
async def token_submit(request: Request) -> Response:
    """A new personal API token, shown on this page once (only its hash is kept). CSRF: middleware."""
    form = await request.form()
    return await run_in_threadpool(_create_token, request, str(form.get("token_name", "")))


def _create_token(request: Request, name: str) -> Response:
    deps = _deps(request)
    with Session(deps.engine) as session:
        try:
            operator = _own_row(session, request.state.operator)
            _row, token = api_tokens.issue(session, operator, name, deps.clock.now())
        except FieldError:
            token = None
        session.commit()
    if token is None:
        too_long = _translations(request).ngettext(
            "At most %(count)s character.", "At most %(count)s characters.", api_tokens.NAME_MAX
        )
        errors = {"token_name": too_long % {"count": api_tokens.NAME_MAX}}
        return _page(request, errors, 422, token_name=name)
    return _page(request, new_token=token)


@operator_required
def token_revoke(request: Request) -> Response:
    """Revoking takes effect at once: the next request with the token is refused."""
    deps = _deps(request)
    text = str(request.path_params["token_id"])
    token_id = int(text) if _TOKEN_ID.fullmatch(text) else 0
    with Session(deps.engine) as session:
        if api_tokens.revoke(session, request.state.operator.id, token_id, deps.clock.now()):
            session.commit()
    return _saved("token")
