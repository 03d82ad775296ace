"""The Settings area's pages in nav order, and the context every Settings page renders with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from webui.settings.guard import is_admin


@dataclass(frozen=True)
class NavItem:
    key: str
    path: str
    title: str  # an English msgid, translated in the template
    admin_only: bool = True


NAV = (
    NavItem("operators", "/settings/operators", "Operators"),
    NavItem("saved-replies", "/settings/saved-replies", "Saved replies", admin_only=False),
    NavItem("tags", "/settings/tags", "Tags"),
    NavItem("mail", "/settings/mail", "Mail"),
    NavItem("hours", "/settings/hours", "Hours and autoreplies"),
    NavItem("site-keys", "/settings/site-keys", "Site keys"),
)


def settings_context(request: Request, current: str, **values: Any) -> dict[str, Any]:
    """What templates/web/settings/base.html needs: the operator, the nav they may see, the current page."""
    operator = request.state.operator
    admin = is_admin(operator)
    return {
        "operator": operator,
        "is_admin": admin,
        "nav": [item for item in NAV if admin or not item.admin_only],
        "current": current,
        **values,
    }
