"""The desk as an installable app: the web app manifest, the service worker and its offline page."""

from __future__ import annotations

from importlib.resources import files

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from webui.deps import WebDeps
from webui.pages import render


def routes() -> list[Route]:
    return [
        Route("/manifest.webmanifest", manifest),
        # served from the root, not /static/, so that its scope may cover /inbox
        Route("/desk-sw.js", service_worker),
        Route("/inbox/offline", offline_page),
    ]


async def manifest(request: Request) -> Response:
    deps: WebDeps = request.app.state.deps
    body = {
        "name": deps.site_name,
        "short_name": deps.site_name[:12],
        "start_url": "/inbox",
        "scope": "/inbox",
        "display": "standalone",
        "background_color": "#f5f6f8",
        "theme_color": "#1d2430",
        "icons": [
            {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JSONResponse(body, media_type="application/manifest+json")


async def service_worker(request: Request) -> Response:
    return Response(
        files("webui").joinpath("static", "desk-sw.js").read_bytes(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/inbox"},
    )


async def offline_page(request: Request) -> Response:
    return render(request, "offline.html", {})
