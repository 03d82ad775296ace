"""Settings → Hours and autoreplies (/settings/hours): what config.toml set, read-only.

The working week, holidays and special days as loaded, whether the desk is open now, each autoreply rule
in words, the last refused reload of config.toml line by line, and a form that asks what would happen at a
moment: it answers with `chatcore.autoreply.explain`, the function `relaydesk autoreply explain` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from gettext import NullTranslations
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatcore.autoreply import AutoreplyRule, Channel, explain, rule_text
from chatcore.autoreply.explain import local_moment
from chatcore.autoreply.words import capitalized, channel_text
from chatcore.hours import MINUTES_A_DAY, DailyRange, WorkingHours, weekday_name
from webui.deps import WebDeps
from webui.pages import page_language, render
from webui.settings.guard import admin_required
from webui.settings.nav import settings_context

PATH = "/settings/hours"


@dataclass(frozen=True)
class Day:
    label: str
    ranges: str  # "09:00–13:00, 14:00–18:00"; "" when closed


def routes() -> list[Route]:
    return [Route(PATH, admin_required(hours_page), methods=["GET"])]


def hours_page(request: Request) -> Response:
    deps: WebDeps = request.app.state.deps
    t = deps.translations(page_language(request, deps))
    hours, rules = _in_force(deps)
    now = deps.clock.now()
    context: dict[str, Any] = {
        **settings_context(request, "hours"),
        "timezone": hours.timezone_name,
        "always_open": hours.always,
        "status": capitalized(hours.describe(now, t)) + ".",
        "week": [Day(capitalized(weekday_name(day, t)), ranges_text(hours.weekly[day])) for day in range(7)],
        "holidays": holiday_spans(hours.holidays),
        "special": [Day(day.isoformat(), ranges_text(hours.special[day])) for day in sorted(hours.special)],
        "rules": [(rule, rule_text(rule, t)) for rule in rules],
        "failure": deps.rules.last_failure if deps.rules is not None else None,
        "channels": [(channel.value, channel_text(channel, t)) for channel in Channel],
        **_question(request, hours, rules, t),
    }
    status = 400 if context["at_error"] else 200
    return render(request, "settings/hours.html", context, status_code=status)


def _in_force(deps: WebDeps) -> tuple[WorkingHours, tuple[AutoreplyRule, ...]]:
    if deps.rules is None:
        return WorkingHours.always_open(), ()
    rules = deps.rules.current  # one load of config.toml: hours and rules from the same reload
    return rules.hours, rules.autoreplies


def _question(
    request: Request, hours: WorkingHours, rules: tuple[AutoreplyRule, ...], t: NullTranslations
) -> dict[str, Any]:
    """The form's values, and the explanation once it was sent."""
    params = request.query_params
    deps: WebDeps = request.app.state.deps
    asked = "at" in params
    at_text = params.get("at", f"{hours.local(deps.clock.now()):%Y-%m-%d %H:%M}").strip()
    channel = params.get("channel", Channel.CHAT)
    channel = channel if channel in Channel._value2member_map_ else Channel.CHAT
    new = params.get("conversation", "new") != "ongoing"
    answer: dict[str, Any] = {"at": at_text, "channel": channel, "new": new, "lines": [], "at_error": ""}
    if not asked:
        return answer
    try:
        moment = local_moment(at_text, hours)
    except ValueError:
        answer["at_error"] = t.gettext('Write a time like "2026-12-31 15:30".')
        return answer
    answer["lines"] = explain(rules, hours, moment, Channel(channel), new, t)
    return answer


def ranges_text(ranges: tuple[DailyRange, ...]) -> str:
    return ", ".join(f"{_clock(daily.start)}–{_clock(daily.end)}" for daily in ranges)


def _clock(minutes: int) -> str:
    """A range's end past midnight is written as config.toml writes it: "02:00", and "24:00" for midnight."""
    if minutes > MINUTES_A_DAY:
        minutes -= MINUTES_A_DAY
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def holiday_spans(days: frozenset[date]) -> list[str]:
    """Holidays in order, runs of consecutive days as one span: "2027-01-01 – 2027-01-08"."""
    spans: list[list[date]] = []
    for day in sorted(days):
        if spans and spans[-1][-1] + timedelta(days=1) == day:
            spans[-1].append(day)
        else:
            spans.append([day])
    return [span[0].isoformat() if len(span) == 1 else f"{span[0]} – {span[-1]}" for span in spans]
