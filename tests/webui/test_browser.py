"""The pages in real headless Chromium: the visitor's /demo chat and the operator's inbox, end to end."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bridge import notifications
from bridge.app import build_context, build_web_app
from bridge.context import Context
from bridge.db import transaction
from bridge.settings import Settings
from chatcore.models import Conversation, Operator
from chatcore.services import Desk, NewMessage
from tests.support.factories import add_operator
from tests.support.served import serving
from webui.auth import hash_password

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "browser-test-password"


@dataclass(frozen=True)
class Site:
    url: str
    context: Context


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def site(settings: Settings, engine: Engine) -> Iterator[Site]:
    context = build_context(settings, engine=engine)  # the real clock: the page polls in real time
    with Session(engine) as session:
        add_operator(
            session,
            "olga@example.com",
            now=context.clock.now(),
            name="Olga",
            password_hash=hash_password(PASSWORD),
        )
        session.commit()
    with serving(build_web_app(context)) as url:
        yield Site(url, context)


@pytest.fixture
def visitor(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 900, "height": 700})
    yield context.new_page()
    context.close()


@pytest.fixture
def operator(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    yield context.new_page()
    context.close()


def send_from_demo(
    page: Page, site: Site, text: str, name: str = "Анна", email: str = "anna@example.org"
) -> None:
    page.goto(f"{site.url}/demo")
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#text", text)
    page.click("#send")


def reply_through_the_desk(site: Site, text: str) -> None:
    with transaction(site.context.engine) as session:
        desk = Desk(session, site.context.clock.now())
        conversation = session.exec(select(Conversation)).one()
        olga = session.exec(select(Operator)).one()
        events = desk.post_operator_message(conversation, olga, NewMessage(text=text, source="web"))
        notifications.react(session, site.context, events)


def test_visitor_writes_and_sees_the_operator_reply(site: Site, visitor: Page, tmp_path: Path) -> None:
    send_from_demo(visitor, site, "Здравствуйте! Где мой заказ?")
    messages = visitor.locator("#messages")
    expect(messages.locator(".msg.visitor .meta")).to_have_text(["You"])
    expect(messages.locator(".msg.visitor .text")).to_have_text(["Здравствуйте! Где мой заказ?"])
    expect(visitor.locator("#text")).to_have_value("")

    reply_through_the_desk(site, "Ваш заказ уже в пути.")
    expect(messages.locator(".msg.operator .text")).to_have_text(["Ваш заказ уже в пути."], timeout=5000)
    expect(messages.locator(".msg.operator .meta")).to_have_text(["Olga"])
    visitor.screenshot(path=str(tmp_path / "demo.png"), full_page=True)


def test_invalid_email_shows_the_error_beside_the_field(site: Site, visitor: Page) -> None:
    send_from_demo(visitor, site, "Hello", email="anna@localhost")
    error = visitor.locator("#email-error")
    expect(error).to_have_text("this does not look like an email address")
    assert visitor.evaluate(  # the widget lives in a shadow root
        "(() => { const root = document.getElementById('relaydesk-widget').shadowRoot;"
        " const error = root.getElementById('email-error');"
        " return error.previousElementSibling.contains(root.getElementById('email')); })()"
    )
    expect(visitor.locator("#messages .msg")).to_have_count(0)
    expect(visitor.locator("#text")).to_have_value("Hello")

    visitor.fill("#email", "anna@example.org")
    visitor.click("#send")
    expect(visitor.locator("#messages .msg.visitor")).to_have_count(1)
    expect(error).to_have_text("")


def test_operator_answers_from_the_inbox_and_the_visitor_sees_it(
    site: Site, visitor: Page, operator: Page, tmp_path: Path
) -> None:
    send_from_demo(visitor, site, "Can I change my delivery address?")
    expect(visitor.locator("#messages .msg.visitor")).to_have_count(1)

    operator.goto(f"{site.url}/inbox")
    expect(operator).to_have_url(f"{site.url}/login?next=/inbox")
    operator.fill("input[name=email]", "olga@example.com")
    operator.fill("input[name=password]", PASSWORD)
    operator.click("button[type=submit]")
    expect(operator).to_have_url(f"{site.url}/inbox")
    row = operator.locator("#rows .row", has_text="Анна")
    expect(row).to_contain_text("Can I change my delivery address?")
    expect(row.locator(".badge")).to_have_text("1")

    row.locator("a").click()
    expect(operator.locator("h1")).to_have_text("Анна")
    expect(operator.locator(".msg.visitor .text")).to_have_text(["Can I change my delivery address?"])
    box = operator.locator(".msg.visitor").bounding_box()
    assert box is not None
    assert box["height"] < 90, "a one-line message must not be drawn as a tall, mostly blank box"
    operator.fill("textarea[name=text]", "Yes — send us the new address here.\nThanks, Olga")
    operator.click("form[action$='/reply'] button[type=submit]")
    reply = operator.locator(".msg.operator .text")
    expect(reply).to_have_text(["Yes — send us the new address here.\nThanks, Olga"])
    assert reply.evaluate("e => e.innerText") == "Yes — send us the new address here.\nThanks, Olga"
    operator.screenshot(path=str(tmp_path / "dialog.png"), full_page=True)

    expect(visitor.locator("#messages .msg.operator .text")).to_have_text(
        ["Yes — send us the new address here.\nThanks, Olga"], timeout=5000
    )
