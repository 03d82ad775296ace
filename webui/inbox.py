"""The operator desk's routes; its pages are in webui/desk/ (logging in and out: webui/login.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from webui import desk


def routes() -> list[Route]:
    return [Route("/", _to_inbox), *desk.routes()]


def _to_inbox(request: Request) -> Response:
    return RedirectResponse("/inbox", status_code=303)
