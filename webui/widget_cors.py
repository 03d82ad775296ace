"""CORS for the widget's API: pages on `[widget].allowed_origins` (and the desk's own origin) may call it.

Exact origins only, never a wildcard, never credentials: the widget carries its signed visitor id in the
request itself, not in a cookie. A call from any other origin gets no CORS headers, so the browser keeps
the answer from the page, and an unsafe method is refused outright (403) before it writes anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/api/widget/"
SAFE = frozenset({"GET", "HEAD"})
ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Content-Type, X-Relaydesk-Visitor, Last-Event-ID"
MAX_AGE = "7200"  # the longest Chromium keeps a preflight: one per page view at most, usually none


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class WidgetCors:
    def __init__(self, app: ASGIApp, allowed: Iterable[str], base_url: str) -> None:
        self.app = app
        self.allowed = frozenset({*(origin.lower() for origin in allowed), origin_of(base_url)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        method = scope["method"]
        if origin is None or self._same_origin(origin, scope, headers):
            await self.app(scope, receive, _vary(send))
        elif origin.lower() not in self.allowed:
            await self._refused(scope, receive, send, method)
        elif method == "OPTIONS" and "access-control-request-method" in headers:
            await _answer(send, 204, b"", _cors(origin, preflight=True))
        else:
            await self.app(scope, receive, _with_cors(send, origin))

    def _same_origin(self, origin: str, scope: Scope, headers: Headers) -> bool:
        """The desk's own pages (the /demo page, or base_url behind a proxy) are never cross-origin."""
        scheme = "https" if scope.get("scheme") == "https" else "http"
        host = headers.get("host", "")
        return bool(host) and origin.lower() == f"{scheme}://{host}".lower()

    async def _refused(self, scope: Scope, receive: Receive, send: Send, method: str) -> None:
        if method in SAFE:  # answered without CORS headers: the browser does not let the page read it
            await self.app(scope, receive, _vary(send))
            return
        body = json.dumps(
            {"error": "this site may not use the chat; add its origin to [widget].allowed_origins"}
        )
        await _answer(send, 403, body.encode(), [("content-type", "application/json"), ("vary", "Origin")])


def _cors(origin: str, *, preflight: bool) -> list[tuple[str, str]]:
    found = [("access-control-allow-origin", origin), ("vary", "Origin")]
    if preflight:
        found += [
            ("access-control-allow-methods", ALLOW_METHODS),
            ("access-control-allow-headers", ALLOW_HEADERS),
            ("access-control-max-age", MAX_AGE),
        ]
    else:
        found.append(("access-control-expose-headers", "Retry-After"))
    return found


def _with_cors(send: Send, origin: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in _cors(origin, preflight=False):
                if name == "vary":
                    headers.add_vary_header(value)
                else:
                    headers[name] = value
        await send(message)

    return sending


def _vary(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message).add_vary_header("Origin")
        await send(message)

    return sending


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
