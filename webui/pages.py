"""HTML pages from templates/web/, in the operator's or the site's language."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from chatcore.autoreply import reason_text
from webui.auth import csrf_token
from webui.deps import WebDeps


def make_environment(templates_dir: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir / "web"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_language(request: Request, deps: WebDeps) -> str:
    chosen = request.session.get("language") if "session" in request.scope else None
    if chosen in ("en", "ru"):
        return str(chosen)
    accepted = request.headers.get("accept-language", "")
    if accepted.lower().startswith("ru"):
        return "ru"
    return deps.language


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    deps: WebDeps = request.app.state.deps
    environment: Environment = request.app.state.pages
    language = page_language(request, deps)
    translations = deps.translations(language)
    template = environment.get_template(name)
    html = template.render(
        {
            **context,
            "request": request,
            "site_name": deps.site_name,
            "language": language,
            "csrf": csrf_token(request),
            "_": translations.gettext,
            "gettext": translations.gettext,
            "ngettext": translations.ngettext,
            "pgettext": translations.pgettext,
            "verdict_line": partial(reason_text, t=translations),
            "translations": translations,
        }
    )
    return HTMLResponse(html, status_code=status_code)
