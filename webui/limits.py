"""Bounds on what a request may bring, checked before any handler reads it.

- A body over its limit is refused with 413: at once when Content-Length says so, else as soon as the
  streamed (chunked) body passes the limit. Multipart bodies (file uploads) may be as large as the
  uploads allow plus room for the form around them; any other body gets a small limit.
- A number in the path too large to be a row id answers 404 (a database would fail on it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PLAIN_BODY_LIMIT = 1024 * 1024
MULTIPART_OVERHEAD = 1024 * 1024  # the other fields and every part's headers around the files
LARGEST_ID = 2**31 - 1  # an integer column on PostgreSQL
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class BodyLimits:
    plain: int
    multipart: int

    @classmethod
    def for_uploads(cls, max_file_size: int, max_files: int) -> BodyLimits:
        return cls(plain=PLAIN_BODY_LIMIT, multipart=max_file_size * max_files + MULTIPART_OVERHEAD)

    def of(self, headers: Headers) -> int:
        kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return self.multipart if kind == "multipart/form-data" else self.plain


class _TooLarge(Exception):
    pass


class RequestLimits:
    """ASGI middleware; wraps the whole app so no route can forget it."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_huge_number(scope["path"]):
            await _answer(scope, send, 404, "not found")
            return
        headers = Headers(scope=scope)
        limit = self.limits.of(headers)
        declared = headers.get("content-length")
        if declared is not None and not _DIGITS.fullmatch(declared):
            await _answer(scope, send, 400, "Content-Length is not a number")
            return
        if declared is not None and int(declared) > limit:
            await _answer(scope, send, 413, _too_large(limit))
            return
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except _TooLarge:
            if not started:
                await _answer(scope, send, 413, _too_large(limit))


def _has_huge_number(path: str) -> bool:
    numbers = (part for part in path.split("/") if _DIGITS.fullmatch(part))
    return any(len(number) > 10 or int(number) > LARGEST_ID for number in numbers)


def _too_large(limit: int) -> str:
    return f"the request is larger than {limit} bytes"


async def _answer(scope: Scope, send: Send, status: int, error: str) -> None:
    response: Response
    if scope["path"].startswith("/api/"):
        response = JSONResponse({"error": error, "field": None}, status_code=status)
    else:
        response = PlainTextResponse(error[:1].upper() + error[1:], status_code=status)
    response.headers["Connection"] = "close"

    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)


def row_id(text: str) -> int:
    """A row id given as text (a query parameter); ValueError unless it is a number a row could have."""
    if not _DIGITS.fullmatch(text) or len(text) > 10 or int(text) > LARGEST_ID:
        raise ValueError(f"not a row id: {text[:20]!r}")
    return int(text)


def parse_json(body: bytes) -> object:
    """json.loads that answers ValueError for nesting too deep to parse, as for any other bad JSON."""
    try:
        return json.loads(body)
    except RecursionError as exc:
        raise ValueError("the JSON is nested too deeply") from exc
