"""How an API handler runs: plain `def` in Starlette's threadpool, the caller authenticated first,
bodies read and checked against a pydantic model, ids bounded, every refusal a JSON error."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

import anyio.from_thread
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatcore import api_tokens
from chatcore.errors import DomainError
from chatcore.events import Event
from chatcore.models import ApiToken, Operator
from webui.api.auth import authenticate
from webui.api.errors import ApiError, from_domain
from webui.deps import WebDeps

M = TypeVar("M", bound=BaseModel)
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; anything larger names nothing
MAX_JSON_BODY = 256 * 1024
JSON_TYPES = ("application/json",)
READ_METHODS = ("GET", "HEAD")


@dataclass
class ApiCall:
    """One request, its caller and a session; the handler commits what it writes."""

    request: Request
    deps: WebDeps
    session: Session
    operator: Operator

    def body(self, model: type[M]) -> M:
        data = self.json_object()
        try:
            return model.model_validate(data)
        except ValidationError as error:
            raise _field_error(error) from None

    def json_object(self) -> dict[str, Any]:
        if media_type(self.request) not in JSON_TYPES:
            raise ApiError(415, "send a JSON object with Content-Type: application/json")
        raw = anyio.from_thread.run(read_body, self.request, MAX_JSON_BODY)
        try:
            data = json.loads(raw, parse_constant=_no_constant)
        except ValueError:
            raise ApiError(400, "the body is not JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the body must be a JSON object")
        return data

    def form(self, max_files: int, max_size: int) -> FormData:
        declared = self.request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_size:
            raise ApiError(413, "the request is too large", "files")

        async def parse() -> FormData:
            return await self.request.form(max_files=max_files, max_fields=20)

        try:
            return anyio.from_thread.run(parse)
        except Exception as error:  # a malformed multipart body: python-multipart's own errors
            raise ApiError(400, f"the form could not be read: {error}") from None

    def path_id(self, name: str, what: str) -> int:
        """A path id, or 404: "abc", "-1" and a 40-digit number name nothing."""
        value = bounded_id(str(self.request.path_params[name]))
        if value is None:
            raise ApiError(404, f"{what} does not exist")
        return value

    def query_id(self, name: str) -> int | None:
        text = self.request.query_params.get(name)
        if text is None or text == "":
            return None
        value = bounded_id(text)
        if value is None:
            raise ApiError(422, f"{name} must be an id", name)
        return value

    def query_int(self, name: str, default: int, low: int, high: int) -> int:
        text = self.request.query_params.get(name, "")
        if text == "":
            return default
        if not (text.isascii() and text.isdigit() and len(text) <= 9) or not low <= int(text) <= high:
            raise ApiError(422, f"{name} must be a whole number from {low} to {high}", name)
        return int(text)

    def query_flag(self, name: str) -> bool:
        text = self.request.query_params.get(name, "").lower()
        if text in ("", "0", "false"):
            return False
        if text in ("1", "true"):
            return True
        raise ApiError(422, f"{name} must be 1 or 0", name)

    def commit(self, events: Sequence[Event]) -> None:
        """Effects of the events and the rows, in one transaction (as the pages do)."""
        self.deps.react(self.session, list(events))
        self.session.commit()


Handler = Callable[[ApiCall], Any]


def endpoint(handler: Handler, status_code: int = 200) -> Callable[[Request], Response]:
    """A Starlette endpoint (plain def: runs in the threadpool) around an API handler, which returns
    a Response or something JSONResponse can send. GET handlers get a read-only session (on SQLite
    it takes no lock); the others a session that writes."""

    @wraps(handler)
    def run(request: Request) -> Response:
        deps: WebDeps = request.app.state.deps
        now = deps.clock.now()
        reads_only = request.method in READ_METHODS
        token: ApiToken | None = None
        session = deps.read_session() if reads_only else Session(deps.engine, expire_on_commit=False)
        with session:
            try:
                operator, token = authenticate(request, session)
                if token is not None and not reads_only and api_tokens.use_to_note(token, now):
                    api_tokens.note_use(session, token.id or 0, now)  # committed with the change
                result = handler(ApiCall(request, deps, session, operator))
            except DomainError as error:
                session.rollback()
                return from_domain(error).response()
            except ApiError as error:
                session.rollback()
                return error.response()
        if token is not None and reads_only and api_tokens.use_to_note(token, now):
            _note_use(deps, token.id or 0, now)
        if isinstance(result, Response):
            return result
        return JSONResponse(result, status_code=status_code)

    return run


def _note_use(deps: WebDeps, token_id: int, now: datetime) -> None:
    """After a read, in a transaction of its own: at most once a minute per token."""
    with Session(deps.engine) as session:
        api_tokens.note_use(session, token_id, now)
        session.commit()


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def bounded_id(text: str) -> int | None:
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _field_error(error: ValidationError) -> ApiError:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "this field is not known"
    return ApiError(422, message, field)
