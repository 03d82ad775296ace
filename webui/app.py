"""The Starlette application: the inbox, the widget API and the demo page."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from webui import avatars, files, inbox, profile, widget
from webui.deps import WebDeps
from webui.pages import make_environment

STATIC_DIR = Path(__file__).resolve().parent / "static"


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(deps: WebDeps) -> Starlette:
    app = Starlette(
        routes=[
            Route("/healthz", health),
            *widget.routes(),
            *inbox.routes(),
            *files.routes(),
            *profile.routes(),
            *avatars.routes(),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=deps.secret_key,
                session_cookie="rd_session",
                same_site="lax",
                https_only=deps.https_only,
            )
        ],
    )
    app.state.deps = deps
    app.state.widget_limits = widget.WidgetLimits.for_keys([deps.secret_key, *deps.previous_secret_keys])
    app.state.pages = make_environment(deps.templates_dir)
    return app
