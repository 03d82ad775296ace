"""Email text from Jinja2 templates in templates/email/, translated through gettext catalogs."""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class EmailRenderer:
    """`render("operator_notification", "ru", context)` → subject, text and HTML bodies."""

    def __init__(self, templates: Path, translations: Callable[[str], gettext.NullTranslations]) -> None:
        self._translations = translations
        self._env = Environment(
            loader=FileSystemLoader(templates / "email"),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    def render(self, name: str, language: str, context: Mapping[str, Any]) -> RenderedEmail:
        translations = self._translations(language)
        self._env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        values = {**context, "language": language}
        subject = self._env.get_template(f"{name}.subject.txt").render(values).strip()
        text = self._env.get_template(f"{name}.txt").render(values)
        html = self._env.get_template(f"{name}.html").render(values)
        return RenderedEmail(" ".join(subject.split()), text, html)
