"""GET /api/v1/openapi.json: built from the route table and the pydantic bodies, so it cannot forget
a route. Routes of /api/v1 that other modules add appear too, with their docstring as the summary."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from webui.api.registry import PREFIX, ApiRoute, Param, api_routes
from webui.api.schemas import BODIES

_PATH_PARAM = re.compile(r"\{([a-z_]+)(?::[a-z]+)?\}")
ERROR = {
    "type": "object",
    "required": ["error", "field"],
    "properties": {"error": {"type": "string"}, "field": {"type": ["string", "null"]}},
}
_ERRORS = {
    "400": "The body is not a JSON object",
    "401": "No valid session or token",
    "409": "Taken by another contact (an address verified for another site contact)",
    "403": "Not allowed (or the CSRF token is missing)",
    "404": "No such thing, or not yours to see",
    "413": "The body or a file is too large",
    "415": "The body is not JSON",
    "422": "A field is wrong: `field` names it",
}
STRING_PARAMS = ("name", "external_id")
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
DESCRIPTION = (
    "Relaydesk's JSON API for operators. Authenticate with `Authorization: Bearer TOKEN` (a personal "
    "token from `relaydesk token create EMAIL` or the profile page) or with the browser session; "
    "unsafe methods under a session also need the `X-CSRF-Token` header. Errors are "
    '`{"error": "...", "field": "..." | null}`. Times are ISO 8601 in UTC. The site routes '
    "(`/api/v1/site/...`) are for the site's own server: `Authorization: Bearer SITE_KEY`, a key from "
    "`relaydesk site-key create`."
)


def document(request: Request) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in api_routes():
        paths.setdefault(PREFIX + route.path, {})[route.method.lower()] = _operation(route)
    for other in _other_api_routes(request, paths):
        for method in sorted((other.methods or set()) - {"HEAD"}):
            summary = (other.endpoint.__doc__ or other.name).strip().splitlines()[0]
            paths.setdefault(_openapi_path(other.path), {})[method.lower()] = {
                "summary": summary,
                "parameters": _path_parameters(other.path),
                "responses": {"200": {"description": "OK"}, **_error_responses()},
            }
    paths.get(PREFIX + "/openapi.json", {}).get("get", {})["security"] = []  # open to anyone
    return {
        "openapi": "3.1.0",
        "info": {"title": "Relaydesk API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR, **_body_schemas()},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "siteKey": {"type": "http", "scheme": "bearer", "description": "relaydesk site-key create"},
                "session": {"type": "apiKey", "in": "cookie", "name": "rd_session"},
            },
        },
        "security": SECURITY,
    }


async def openapi_json(request: Request) -> Response:
    """This document (no login needed: it describes the API, it holds no data)."""
    return JSONResponse(document(request))


def _operation(route: ApiRoute) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": route.summary,
        "operationId": route.handler.__name__,
        "parameters": [*_path_parameters(route.path), *(_query_parameter(p) for p in route.query)],
        "responses": {
            str(route.status): {"description": "Done" if route.status == 204 else "OK"},
            **_error_responses(),
        },
    }
    if route.body is not None:
        content: dict[str, Any] = {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{route.body.__name__}"}}
        }
        if route.multipart:
            content["multipart/form-data"] = {
                "schema": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string"},
                        "note": {"type": "string", "enum": ["0", "1"]},
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            }
        operation["requestBody"] = {"required": True, "content": content}
    if route.admin_only:
        operation["description"] = "Admins only."
    if route.site:
        operation["security"] = [{"siteKey": []}]
        operation["description"] = "The site's own server: `Authorization: Bearer SITE_KEY`."
    return operation


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string"} if name in STRING_PARAMS else {"type": "integer", "minimum": 1},
        }
        for name in _PATH_PARAM.findall(path)
    ]


def _query_parameter(param: Param) -> dict[str, Any]:
    schema = {"type": "array", "items": param.schema} if param.repeat else param.schema
    return {"name": param.name, "in": "query", "description": param.description, "schema": schema}


def _error_responses() -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {status: {"description": text, "content": error} for status, text in _ERRORS.items()}


def _body_schemas() -> dict[str, Any]:
    return {body.__name__: body.model_json_schema() for body in BODIES}


def _openapi_path(path: str) -> str:
    return _PATH_PARAM.sub(r"{\1}", path)


def _other_api_routes(request: Request, described: dict[str, Any]) -> list[Route]:
    return [
        route
        for route in request.app.routes
        if isinstance(route, Route)
        and route.path.startswith(PREFIX + "/")
        and not all(
            method.lower() in described.get(_openapi_path(route.path), {})
            for method in (route.methods or set()) - {"HEAD"}
        )
    ]
