"""The autoreply a contact gets: the rule's text in their language, variables filled in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from gettext import NullTranslations

from chatcore.autoreply.rules import AutoreplyRule
from chatcore.hours import WorkingHours


def render(
    rule: AutoreplyRule,
    language: str,
    *,
    contact_name: str,
    site_name: str,
    next_open: datetime | None,
    hours: WorkingHours,
    now: datetime,
    catalogs: Callable[[str], NullTranslations],
) -> str:
    """The text in the contact's language (see `language_for`); `{next_open}` in that language's words."""
    text_language = rule.language_for(language)
    t = catalogs(text_language.split("-")[0])
    opening = t.gettext("soon") if next_open is None else hours.format_moment(next_open, now=now, t=t)
    template = rule.text_for(text_language)
    return template.format(contact_name=contact_name, next_open=opening, site_name=site_name)
