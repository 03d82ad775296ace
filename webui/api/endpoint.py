"""How an API handler runs: plain `def` in Starlette's threadpool, the caller authenticated first,
bodies read and checked against a pydantic model, ids bounded, every refusal a JSON error."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

import anyio.from_thread
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatcore import api_tokens
from chatcore.errors import DomainError
from chatcore.events import Event
from chatcore.models import ApiToken, Operator, SiteKey
from webui.api.auth import authenticate
from webui.api.errors import ApiError, from_domain
from webui.deps import WebDeps

M = TypeVar("M", bound=BaseModel)
C = TypeVar("C", bound="RequestCall")
logger = logging.getLogger(__name__)
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; anything larger names nothing
MAX_JSON_BODY = 256 * 1024
JSON_TYPES = ("application/json",)
READ_METHODS = ("GET", "HEAD")


@dataclass
class RequestCall:
    """One request and a session; the handler commits what it writes."""

    request: Request
    deps: WebDeps
    session: Session

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


@dataclass
class ApiCall(RequestCall):
    """A call of an operator (by session or personal token)."""

    operator: Operator


Handler = Callable[[ApiCall], Any]


def endpoint(handler: Handler, status_code: int = 200) -> Callable[[Request], Response]:
    """A Starlette endpoint (plain def: runs in the threadpool) around an API handler, which returns
    a Response or something JSONResponse can send. The caller is looked up in a read session; GET
    handlers go on in it, the others get a session that writes, whose first statement (on SQLite,
    the write lock) is the handler's own: it can read and store a body before taking the lock."""

    @wraps(handler)
    def run(request: Request) -> Response:
        deps: WebDeps = request.app.state.deps
        now = deps.clock.now()
        try:
            with deps.read_session() as session:
                operator, token = authenticate(request, session)
                if request.method in READ_METHODS:
                    result = handler(ApiCall(request, deps, session, operator))
            if request.method not in READ_METHODS:
                result = write_call(
                    handler, ApiCall(request, deps, Session(deps.engine, expire_on_commit=False), operator)
                )
        except DomainError as error:
            return from_domain(error).response()
        except ApiError as error:
            return error.response()
        response = result if isinstance(result, Response) else JSONResponse(result, status_code=status_code)
        if token is not None and api_tokens.use_to_note(token, now) and response.background is None:
            # After the answer is sent: a request never waits for the write lock for this.
            response.background = BackgroundTask(note_use, deps, token.id or 0, now)
        return response

    return run


def write_call(handler: Callable[[C], Any], call: C) -> Any:
    """Run a handler that writes in its own session; a refusal rolls it back."""
    with call.session:
        try:
            return handler(call)
        except DomainError as error:
            call.session.rollback()
            raise from_domain(error) from None
        except ApiError:
            call.session.rollback()
            raise


def note_use(deps: WebDeps, token_id: int, now: datetime, model: type[ApiToken | SiteKey] = ApiToken) -> None:
    """After a read, in a transaction of its own: at most once a minute per token. A busy database
    only loses the note."""
    try:
        with Session(deps.engine) as session:
            api_tokens.note_use(session, token_id, now, model)
            session.commit()
    except OperationalError:
        logger.warning("could not note the use of API token %s", token_id, exc_info=True)


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
