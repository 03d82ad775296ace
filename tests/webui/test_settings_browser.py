"""Settings → Operators in headless Chromium against a real `relaydesk serve`: an admin invites an
operator from the page, the invitation lands in the outbound Maildir, the new operator follows its link,
chooses a password and signs in; deactivating a signed-in operator ends their session and their token."""

from __future__ import annotations

import email
import email.policy
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bridge.db import make_engine, migrate
from chatcore import api_tokens
from tests.support.databases import database_url
from tests.support.factories import add_operator
from tests.support.process import RelaydeskProcess
from tests.webui.test_browser import browser
from webui.auth import hash_password

__all__ = ["browser"]  # the module-wide Chromium, shared with test_browser
pytestmark = pytest.mark.browser

SECRET = "settings-browser-tests-secret-0123456789"
PASSWORD = "settings-browser-password"
BOSS, OLGA, NINA = "boss@example.com", "olga@example.com", "nina@example.com"
_LINK = re.compile(r"https?://\S+/set-password/[A-Za-z0-9_.\-]+")


@dataclass(frozen=True)
class Desk:
    url: str
    engine: Engine
    maildir: Path
    olga_token: str


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    workdir = tmp_path_factory.mktemp("settings")
    with database_url("sqlite", workdir) as url:
        engine = make_engine(url, str(workdir))
        migrate(engine)
        with Session(engine) as session:
            now = datetime.now(UTC)
            boss = add_operator(session, BOSS, now=now, name="Boss", password_hash=hash_password(PASSWORD))
            boss.role = "admin"
            olga = add_operator(session, OLGA, now=now, name="Olga", password_hash=hash_password(PASSWORD))
            _row, token = api_tokens.issue(session, olga, "script", now)
            session.commit()
        process = RelaydeskProcess(
            workdir,
            url,
            1,
            site={"secret_key": SECRET},
            outbound={"transport": "maildir", "maildir": str(workdir / "maildir")},
        )
        # The invitation's link must lead to this server.
        process.config.write_text(process.config.read_text().replace("http://desk.test", process.base_url))
        process.start()
        yield Desk(process.base_url, engine, workdir / "maildir", token)
        process.stop()
        engine.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def sign_in(page: Page, desk: Desk, address: str, password: str = PASSWORD) -> None:
    page.goto(f"{desk.url}/login")
    page.fill("input[name=email]", address)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{desk.url}/inbox")


def emailed_link(maildir: Path, recipient: str, within: float = 20.0) -> str:
    """The set-password link of the invitation to `recipient`, once the outbox has delivered it."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for path in sorted((maildir / "new").glob("*")) if (maildir / "new").exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if recipient in str(message["To"]):
                body = message.get_body(("plain",))
                assert body is not None
                found = _LINK.search(body.get_content())
                assert found, body.get_content()
                return found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no invitation to {recipient} in {maildir}")


def test_an_admin_invites_and_the_operator_sets_a_password_and_signs_in(
    desk: Desk, browser: Browser, page: Page
) -> None:
    sign_in(page, desk, BOSS)
    page.click("#settings-link")
    expect(page).to_have_url(f"{desk.url}/settings/operators")
    expect(page.locator("#settings-nav-operators")).to_have_attribute("aria-current", "page")
    page.fill("#invite-email", NINA)
    page.fill("#invite-name", "Nina")
    page.click("#invite-submit")
    expect(page.locator("#done")).to_have_text(f"Invitation sent to {NINA}.")
    expect(page.locator(f"tr[data-email='{NINA}']")).to_contain_text("Invited, no password yet")

    nina = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True).new_page()
    nina.goto(emailed_link(desk.maildir, NINA))
    expect(nina).to_have_url(f"{desk.url}/inbox/profile")
    nina.fill("#new_password", "nina chose this password")
    nina.fill("#repeat_password", "nina chose this password")
    nina.click("#save-password")
    expect(nina.locator("#password .saved")).to_be_visible()
    nina.context.clear_cookies()
    sign_in(nina, desk, NINA, "nina chose this password")
    nina.goto(f"{desk.url}/settings")
    expect(nina).to_have_url(f"{desk.url}/settings/saved-replies")
    expect(nina.locator(".settings-nav a")).to_have_count(1)  # an operator: only their saved replies
    assert nina.goto(f"{desk.url}/settings/operators").status == 403
    nina.context.close()

    page.reload()
    expect(page.locator(f"tr[data-email='{NINA}']")).not_to_contain_text("Invited, no password yet")


def test_deactivation_ends_the_live_session_and_the_token(desk: Desk, browser: Browser, page: Page) -> None:
    olga = browser.new_context().new_page()
    sign_in(olga, desk, OLGA)
    bearer = {"Authorization": f"Bearer {desk.olga_token}"}
    assert httpx.get(f"{desk.url}/api/v1/conversations", headers=bearer).status_code == 200

    sign_in(page, desk, BOSS)
    page.goto(f"{desk.url}/settings/operators")
    page.locator(f"tr[data-email='{OLGA}'] button.deactivate").click()
    expect(page.locator("#done")).to_have_text(f"{OLGA} is deactivated and signed out everywhere.")
    expect(page.locator(f"tr[data-email='{OLGA}']")).to_have_class("deactivated")

    olga.goto(f"{desk.url}/inbox")
    expect(olga).to_have_url(re.compile(r"/login"))
    assert httpx.get(f"{desk.url}/api/v1/conversations", headers=bearer).status_code == 401

    page.locator(f"tr[data-email='{OLGA}'] button.reactivate").click()
    expect(page.locator("#done")).to_have_text(f"{OLGA} can sign in again.")
    assert httpx.get(f"{desk.url}/api/v1/conversations", headers=bearer).status_code == 200
    olga.context.close()
