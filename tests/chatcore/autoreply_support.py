"""Rules, hours and moments shared by the autoreply tests; catalogs for both languages."""

from __future__ import annotations

from datetime import datetime
from gettext import NullTranslations
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bridge.i18n import Catalogs, load_po
from chatcore.autoreply import AutoreplySituation, Channel, Trigger, load_autoreplies
from chatcore.hours import WorkingHours

LOCALE = Path(__file__).resolve().parents[2] / "templates" / "locale"
CATALOG = LOCALE / "ru" / "LC_MESSAGES" / "relaydesk.po"
CATALOGS = Catalogs(LOCALE).get
EN = NullTranslations()
RU = load_po(CATALOG)

MOSCOW = ZoneInfo("Europe/Moscow")
WEEKDAYS_NINE_TO_SIX = {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
HOURS = WorkingHours.from_config(
    {"timezone": "Europe/Moscow", **WEEKDAYS_NINE_TO_SIX, "holidays": ["2027-01-01..2027-01-08"]}
)
OPEN = datetime(2026, 12, 14, 10, 0, tzinfo=MOSCOW)  # a Monday morning
CLOSED = datetime(2026, 12, 31, 21, 30, tzinfo=MOSCOW)  # New Year's Eve, next opening 11 January

RULES = load_autoreplies(
    [
        {
            "name": "after-hours",
            "when": "outside_hours",
            "channels": ["chat", "email"],
            "trigger": "new_conversation",
            "text": {
                "en": "Hello {contact_name}, {site_name} is closed. We open {next_open}.",
                "ru": "Здравствуйте, {contact_name}! {site_name} сейчас закрыт. Откроемся: {next_open}.",
            },
        },
        {
            "name": "daytime",
            "when": "inside_hours",
            "channels": ["chat"],
            "trigger": "visitor_message",
            "cooldown": "1h",
            "text": "An operator will answer within minutes.",
        },
        {
            "name": "nudge",
            "when": "always",
            "channels": ["email"],
            "trigger": "no_operator_reply",
            "after": "5m",
            "text": "We have your message and will reply soon.",
        },
    ]
)


def situation(at: datetime, channel: str, trigger: str, **facts: Any) -> AutoreplySituation:
    return AutoreplySituation(at=at, channel=Channel(channel), trigger=Trigger(trigger), **facts)
