"""Security headers on every response the app sends.

Pages get a Content-Security-Policy that runs only the app's own script files (no inline script, no
eval), and may not be framed by anyone. A response that brings its own policy (the sandboxed original
mail, stored files) keeps it; it is refused in frames unless its policy names who may frame it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # style attributes in the templates; styles cannot run code
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_headers(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_headers(headers: MutableHeaders) -> None:
    for name, value in ALWAYS.items():
        headers.setdefault(name, value)
    policy = headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    if "frame-ancestors" not in policy or "frame-ancestors 'none'" in policy:
        headers.setdefault("X-Frame-Options", "DENY")
