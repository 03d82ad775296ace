"""The API's errors: `{"error": "...", "field": "..." | null}` with the status that says what went wrong."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from chatcore.errors import Conflict, DomainError, FieldError, Forbidden, NotFound

API_PREFIX = "/api/"


class ApiError(Exception):
    def __init__(self, status: int, error: str, field: str | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.field = field

    def response(self) -> Response:
        return error_response(self.status, self.error, self.field)


def error_response(status: int, error: str, field: str | None = None, **headers: str) -> JSONResponse:
    response = JSONResponse({"error": error, "field": field}, status_code=status)
    response.headers.update(headers)
    return response


def from_domain(error: DomainError) -> ApiError:
    """What a refusal of the domain means over HTTP."""
    if isinstance(error, NotFound):
        return ApiError(404, str(error))
    if isinstance(error, Forbidden):
        return ApiError(403, str(error))
    if isinstance(error, Conflict):
        return ApiError(409, error.problem, error.field)
    if isinstance(error, FieldError):
        return ApiError(422, error.problem, error.field)
    return ApiError(422, str(error))


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} does not exist")


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no such route, method not allowed) in the API's shape under /api/;
    elsewhere as Starlette answers them."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if request.url.path.startswith(API_PREFIX):
        return error_response(exc.status_code, _reason(exc), None, **headers)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=headers)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=headers)


def _reason(exc: HTTPException) -> str:
    if exc.status_code == 404:
        return "there is no such API route"
    if exc.status_code == 405:
        return "this route does not take that method"
    return str(exc.detail)
