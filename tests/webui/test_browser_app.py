"""The desk as an app in real headless Chromium: every operator page links the manifest, the service
worker registers, and with the server out of reach the desk shows its offline page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.webui import test_browser as setup
from tests.webui.test_browser import PASSWORD, Site

browser, site = setup.browser, setup.site  # the fixtures

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(browser: Browser, site: Site) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=site.url)
    page = context.new_page()
    page.goto("/login?next=/inbox")
    page.fill("input[name=email]", "olga@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site.url}/inbox")
    yield context
    context.close()


def test_the_manifest_makes_the_desk_an_app_that_opens_to_the_inbox(desk: BrowserContext, site: Site) -> None:
    page = desk.pages[0]
    for path in ("/inbox", "/inbox/profile"):
        page.goto(path)
        expect(page.locator("link[rel=manifest]")).to_have_attribute("href", "/manifest.webmanifest")
    answer = page.request.get("/manifest.webmanifest")
    assert answer.headers["content-type"] == "application/manifest+json"
    manifest = answer.json()
    assert manifest["name"] == site.context.settings.site.name
    assert (manifest["start_url"], manifest["display"]) == ("/inbox", "standalone")
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert sizes == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert page.request.get(icon["src"]).headers["content-type"] == "image/png"


def test_the_service_worker_shows_the_offline_page_when_the_server_is_out_of_reach(
    desk: BrowserContext,
) -> None:
    page = desk.pages[0]
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => new URL(r.scope).pathname)")
    assert scope == "/inbox"
    page.reload()  # now under the worker's control
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    desk.set_offline(True)
    page.goto("/inbox?status=closed")
    expect(page.locator("#offline h1")).to_have_text("The desk cannot be reached")
    desk.set_offline(False)
    page.click("text=Try again")
    expect(page.locator("#profile-link")).to_be_visible()
