"""The Starlette application: the inbox, the widget API and the demo page."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from webui import (
    api,
    avatars,
    desk,
    desk_app,
    event_stream,
    files,
    inbox,
    login,
    profile,
    settings,
    widget,
    widget_config,
    widget_pageviews,
    widget_stream,
)
from webui.api.errors import http_exception
from webui.auth import SESSION_IDLE, PasswordWork
from webui.contact_avatars import ContactAvatars
from webui.deps import WebDeps
from webui.limits import BodyLimits, RequestLimits
from webui.login_throttle import LoginThrottle
from webui.middleware import CsrfMiddleware
from webui.pages import make_environment
from webui.security_headers import SecurityHeaders
from webui.shipped import shipped_dir
from webui.uploads import MAX_FILES
from webui.widget_cors import WidgetCors

STATIC_DIR = shipped_dir("webui", "static")  # shipped in the wheel, found by importlib
SESSION_COOKIE = "rd_session"
FORM_SLACK = 1024 * 1024  # a form's other fields and part headers around its files
# Forms that answer a wrong CSRF token themselves, beside the form, keeping what was typed.
SELF_CHECKED = (
    login.login_submit,
    login.logout,
    *desk.SELF_CHECKED,
    profile.details_submit,
    profile.password_submit,
    profile.avatar_submit,
)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(deps: WebDeps) -> Starlette:
    app = Starlette(
        routes=[
            Route("/healthz", health),
            *widget.routes(),
            *widget_config.routes(STATIC_DIR),
            *widget_pageviews.routes(),
            *login.routes(),
            *widget_stream.routes(),
            *event_stream.routes(),
            *desk_app.routes(),
            *inbox.routes(),
            *files.routes(),
            *profile.routes(),
            *avatars.routes(),
            *api.routes(),
            *settings.settings_routes,
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(WidgetCors, allowed=deps.widget_origins, base_url=deps.base_url),
            Middleware(RequestLimits, limits=BodyLimits.for_uploads(deps.max_file_size, MAX_FILES)),
            Middleware(
                SessionMiddleware,
                secret_key=deps.secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=int(SESSION_IDLE.total_seconds()),  # re-signed on every response: an idle limit
                same_site="lax",
                https_only=deps.https_only,
            ),
            Middleware(
                CsrfMiddleware,
                session_cookie=SESSION_COOKIE,
                max_form_size=deps.max_file_size * MAX_FILES + FORM_SLACK,
                self_checked=SELF_CHECKED,
            ),
        ],
        exception_handlers={HTTPException: http_exception},
    )
    app.state.deps = deps
    app.state.passwords = PasswordWork()
    app.state.login_throttle = LoginThrottle()
    app.state.widget_limits = widget.WidgetLimits.for_keys([deps.secret_key, *deps.previous_secret_keys])
    app.state.pages = make_environment(deps.templates_dir)
    app.state.contact_avatars = ContactAvatars(deps)
    return app
