"""The widget on the demo page in real headless Chromium follows the visitor's event stream instead of
polling, and still works by polling where EventSource is missing."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, Request, expect

from tests.webui import test_browser as setup
from tests.webui.test_browser import Site, reply_through_the_desk, send_from_demo

browser, site, visitor = setup.browser, setup.site, setup.visitor  # the fixtures

pytestmark = pytest.mark.browser


def message_fetches(page: Page) -> list[str]:
    fetched: list[str] = []

    def note(request: Request) -> None:
        if "/api/widget/messages?after=" in request.url:
            fetched.append(request.url)

    page.on("request", note)
    return fetched


def test_the_operator_reply_arrives_through_the_stream_without_polling(site: Site, visitor: Page) -> None:
    fetched = message_fetches(visitor)
    send_from_demo(visitor, site, "Есть кто-нибудь?")
    expect(visitor.locator(".msg.visitor")).to_have_count(1)
    expect(visitor.locator("#chat")).to_have_attribute("data-live", "stream")

    reply_through_the_desk(site, "Да, я здесь.")
    expect(visitor.locator(".msg.operator .text")).to_have_text(["Да, я здесь."], timeout=5000)
    settled = len(fetched)
    time.sleep(3.5)  # two polling periods of the old page
    assert len(fetched) == settled  # nothing new happened, so nothing was fetched


def test_without_event_source_the_chat_polls_and_still_shows_the_reply(site: Site, visitor: Page) -> None:
    visitor.add_init_script("delete window.EventSource;")
    send_from_demo(visitor, site, "Hello?")
    expect(visitor.locator(".msg.visitor")).to_have_count(1)
    expect(visitor.locator("#chat")).to_have_attribute("data-live", "polling")
    reply_through_the_desk(site, "Hello, Anna.")
    expect(visitor.locator(".msg.operator .text")).to_have_text(["Hello, Anna."], timeout=5000)
