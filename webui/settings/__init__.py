"""Settings for admins: one page per part, under /settings."""

from __future__ import annotations

from starlette.routing import Route

from webui.settings import mail


def settings_routes() -> list[Route]:
    return [*mail.routes()]
