"""/api/v1 for operators: thin handlers that parse a typed request, call chatcore and answer JSON.

The site API (/api/v1/site/...) and the event stream (/api/v1/events) live in their own modules.
"""

from __future__ import annotations

from starlette.routing import Route

from webui.api import openapi, registry


def routes() -> list[Route]:
    return [
        Route(registry.PREFIX + "/openapi.json", openapi.openapi_json, methods=["GET"]),
        *registry.routes(),
    ]
