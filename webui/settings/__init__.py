"""Settings for admins: one page per subject under /settings, sharing templates/web/settings/base.html."""

from __future__ import annotations

from starlette.routing import Route

from webui.settings import hours


def settings_routes() -> list[Route]:
    return [*hours.routes()]
