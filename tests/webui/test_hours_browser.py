"""Settings → Hours and autoreplies in headless Chromium against a real `relaydesk serve`: the page and its
explain form say what `relaydesk autoreply explain` prints for the same config and time, in English and
Russian; a config.toml that fails to reload shows its problems on the page, line by line.

One server and one browser for the module; the page reads no conversations, so SQLite is enough."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from bridge.db import make_engine, migrate
from tests.support.factories import add_operator
from tests.support.process import REPO, RelaydeskProcess
from tests.webui.test_browser import browser
from webui.auth import hash_password

__all__ = ["browser"]  # the module-scoped Chromium of test_browser
pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
ADMINS = {"en": "olga@example.com", "ru": "oleg@example.com"}
RULES = """
[hours]
timezone = "Europe/Moscow"
mon = ["09:00-18:00"]
tue = ["09:00-13:00", "14:00-18:00"]
wed = ["09:00-18:00"]
thu = ["09:00-18:00"]
fri = ["09:00-18:00", "22:00-02:00"]
holidays = ["2027-01-01..2027-01-08", "2027-02-23"]

[hours.special]
"2026-12-31" = ["09:00-14:00"]
"2027-01-05" = ["10:00-12:00"]

[[autoreply]]
name = "after-hours"
when = "outside_hours"
trigger = "new_conversation"
text = { en = "We are closed. We open {next_open}.", ru = "Мы закрыты. Откроемся: {next_open}." }

[[autoreply]]
name = "daytime"
when = "inside_hours"
channels = ["chat"]
trigger = "visitor_message"
cooldown = "1h"
text = "An operator will answer within minutes."

[[autoreply]]
name = "nudge"
when = "always"
channels = ["email"]
trigger = "no_operator_reply"
after = "30m"
text = "We have your message."
"""


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelaydeskProcess]:
    workdir = tmp_path_factory.mktemp("hours")
    url = f"sqlite:///{workdir / 'relaydesk.db'}"
    engine = make_engine(url, str(workdir))
    migrate(engine)
    hashed = hash_password(PASSWORD)
    with Session(engine) as session:
        for language, email in ADMINS.items():
            admin = add_operator(session, email, now=datetime.now(UTC), name=email[:4], password_hash=hashed)
            admin.role, admin.language = "admin", language
        session.commit()
    engine.dispose()
    process = RelaydeskProcess(
        workdir,
        url,
        1,
        outbound={"transport": "maildir", "maildir": str(workdir / "maildir")},
        uploads={"dir": str(workdir / "files")},
    )
    process.config.write_text(process.config.read_text(encoding="utf-8") + RULES, encoding="utf-8")
    yield process.start()
    assert process.stop() == 0


def signed_in(browser: Browser, desk: RelaydeskProcess, language: str, width: int = 1200) -> Page:
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{desk.base_url}/login?next=/settings/hours")
    page.fill("input[name=email]", ADMINS[language])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{desk.base_url}/settings/hours")
    return page


def cli_explain(
    desk: RelaydeskProcess, at: str, channel: str, new: bool, language: str
) -> subprocess.Popen[str]:
    """`relaydesk autoreply explain` started now (it takes seconds to start); read it with `printed`."""
    args = ["autoreply", "explain", "--at", at, "--channel", channel, "--language", language]
    command = [
        sys.executable,
        "-m",
        "bridge",
        "--config",
        str(desk.config),
        *args,
        *(["--new"] if new else []),
    ]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def printed(run: subprocess.Popen[str]) -> list[str]:
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    return out.splitlines()


def ask(page: Page, at: str, channel: str, new: bool) -> list[str]:
    page.fill("#explain-at", at)
    page.select_option("#explain-channel", channel)
    page.check("#explain-new" if new else "#explain-ongoing")
    page.click("#explain-submit")
    expect(page.locator("#explain-lines li").first).to_be_visible()
    return [text.strip() for text in page.locator("#explain-lines li").all_inner_texts()]


@pytest.mark.parametrize(
    ("language", "weekday", "closed", "question"),
    [
        ("en", "Monday", "closed", ("2026-12-31 21:30", "email", True)),
        ("ru", "Понедельник", "выходной", ("2027-01-05 11:00", "chat", False)),
    ],
)
def test_the_page_and_its_form_agree_with_the_cli(
    browser: Browser,
    desk: RelaydeskProcess,
    language: str,
    weekday: str,
    closed: str,
    question: tuple[str, str, bool],
) -> None:
    cli = cli_explain(desk, *question, language)
    page = signed_in(browser, desk, language)
    expect(page.locator("#week tr").first).to_have_text(f"{weekday}09:00–18:00")
    expect(page.locator("#week tr").nth(5)).to_contain_text(closed)
    expect(page.locator("#holidays li")).to_have_text(["2027-01-01 – 2027-01-08", "2027-02-23"])
    expect(page.locator("#rules .rule")).to_have_count(3)
    assert ask(page, *question) == printed(cli)
    page.context.close()


def test_a_config_that_fails_to_reload_shows_its_problems_line_by_line(
    browser: Browser, desk: RelaydeskProcess
) -> None:
    good = desk.config.read_text(encoding="utf-8")
    broken = good.replace('timezone = "Europe/Moscow"', 'timezone = "Mars/Base"')
    desk.config.write_text(broken.replace('when = "inside_hours"', 'when = "at-night"'), encoding="utf-8")
    os.kill(desk.pid, signal.SIGHUP)
    wait_for_log(desk, 'got "at-night"')
    page = signed_in(browser, desk, "en")
    expect(page.locator("#reload-problems li")).to_have_text(
        [
            '[hours].timezone: unknown timezone "Mars/Base"',
            '[[autoreply]][1].when: must be one of "inside_hours", "outside_hours", "always", got "at-night"',
        ]
    )
    expect(page.locator("#rules .rule")).to_have_count(3)  # the rules in force stay
    desk.config.write_text(good, encoding="utf-8")
    os.kill(desk.pid, signal.SIGHUP)
    wait_for_log(desk, "reloaded working hours and 3 autoreply rules")
    page.reload()
    expect(page.locator("#reload-errors")).to_have_count(0)
    page.context.close()


def wait_for_log(desk: RelaydeskProcess, text: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while text not in desk.log.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, f"the log never said {text!r}"
        time.sleep(0.1)
