"""Settings → Hours and autoreplies over HTTP: admins only, config.toml as loaded, the explain form, and a
refused reload line by line."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from gettext import NullTranslations
from pathlib import Path

from starlette.testclient import TestClient

from bridge.app import build_web_app
from bridge.context import Context
from bridge.rulebook import RuleBook, Rules
from bridge.serve import reload_rules
from chatcore.autoreply import Channel, explain, load_autoreplies
from chatcore.autoreply.explain import local_moment
from chatcore.hours import WorkingHours
from tests.support.factories import change_operator
from tests.webui.conftest import log_in

HOURS = {
    "timezone": "Europe/Moscow",
    "mon": ["09:00-18:00"],
    "fri": ["09:00-13:00", "22:00-02:00"],
    "holidays": ["2027-01-01..2027-01-08", "2027-02-23"],
    "special": {"2026-12-31": ["09:00-14:00"], "2026-12-30": []},
}
RULES = [
    {
        "name": "night",
        "when": "outside_hours",
        "trigger": "new_conversation",
        "text": {"en": "Closed.", "ru": "Закрыто."},
    },
    {
        "name": "nudge",
        "when": "always",
        "channels": ["email"],
        "trigger": "no_operator_reply",
        "after": "30m",
        "text": "Soon.",
    },
]


def desk_with_rules(context: Context) -> tuple[Context, WorkingHours]:
    hours = WorkingHours.from_config(HOURS)
    return replace(context, rules=RuleBook(Rules(hours, load_autoreplies(RULES)))), hours


def lines_of(page: str, list_id: str) -> list[str]:
    found = re.search(rf'<(?:ol|ul) id="{list_id}"[^>]*>(.*?)</(?:ol|ul)>', page, re.S)
    assert found is not None, f"no #{list_id} on the page"
    return [
        html.unescape(re.sub(r"<[^>]+>", "", item)).strip()
        for item in re.findall(r"<li>(.*?)</li>", found[1], re.S)
    ]


def test_only_admins_see_it(context: Context, operator_id: int) -> None:
    with TestClient(build_web_app(context), base_url="http://desk.test", follow_redirects=False) as client:
        assert client.get("/settings/hours").headers["location"] == "/login?next=/settings/hours"
        log_in(client)
        refused = client.get("/settings/hours")
        assert refused.status_code == 403
        assert "Only admins may open this page" in refused.text


def test_the_page_shows_the_config_as_loaded_and_explains_a_moment(
    context: Context, operator_id: int
) -> None:
    change_operator(context.engine, operator_id, role="admin")
    desk, hours = desk_with_rules(context)
    with TestClient(build_web_app(desk), base_url="http://desk.test", follow_redirects=False) as client:
        log_in(client)
        page = client.get("/settings/hours").text
        asked = client.get(
            "/settings/hours", params={"at": "2026-12-31 21:30", "channel": "email", "conversation": "new"}
        )
        wrong = client.get("/settings/hours", params={"at": "tomorrow", "channel": "chat"})
    assert 'Monday</td><td class="ranges">09:00–18:00' in page
    assert 'Friday</td><td class="ranges">09:00–13:00, 22:00–02:00' in page
    assert 'Sunday</td><td class="ranges">closed' in page
    assert lines_of(page, "holidays") == ["2027-01-01 – 2027-01-08", "2027-02-23"]
    assert '2026-12-30</td><td class="ranges">closed' in page
    assert '2026-12-31</td><td class="ranges">09:00–14:00' in page
    assert "Open now, closes today at 18:00." in page  # the clock reads Monday 23 November, 13:00 in Moscow
    assert "night</strong>: Outside hours: answers new conversations; channels: chat, email;" in page
    assert asked.status_code == 200
    moment = local_moment("2026-12-31 21:30", hours)
    expected = explain(desk.rules.current.autoreplies, hours, moment, Channel.EMAIL, True, NullTranslations())
    assert lines_of(asked.text, "explain-lines") == expected
    assert expected[-1] == 'Answer: rule "night".'
    assert wrong.status_code == 400
    assert 'Write a time like "2026-12-31 15:30".' in html.unescape(wrong.text)


def test_a_refused_reload_is_shown_line_by_line(context: Context, operator_id: int, tmp_path: Path) -> None:
    change_operator(context.engine, operator_id, role="admin", language="ru")
    desk, _ = desk_with_rules(context)
    bad = tmp_path / "config.toml"
    bad.write_text(
        '[site]\nsecret_key = "test-secret-0123456789abcdefghijklmnop"\n'
        '[mail]\naddress = "support@example.com"\n'
        '[hours]\ntimezone = "Mars/Base"\nmon = ["9:00-25:00"]\n'
        '[[autoreply]]\nname = "night"\nwhen = "at-night"\ntrigger = "new_conversation"\ntext = "x"\n',
        encoding="utf-8",
    )
    assert reload_rules(desk, bad) is False
    with TestClient(build_web_app(desk), base_url="http://desk.test", follow_redirects=False) as client:
        log_in(client)
        page = client.get("/settings/hours").text
    assert lines_of(page, "reload-problems") == [
        '[hours].timezone: unknown timezone "Mars/Base"',
        '[hours].mon: "9:00-25:00" is not a time range',
        '[[autoreply]][0].when: must be one of "inside_hours", "outside_hours", "always", got "at-night"',
    ]
    assert 'Понедельник</td><td class="ranges">09:00–18:00' in page, "the rules in force stay"
