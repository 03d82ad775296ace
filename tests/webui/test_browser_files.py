"""Files and original mails in real headless Chromium: sandboxing, uploads, the visitor's links."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from bridge.db import transaction
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from chatcore.models import Conversation, Message, Source
from tests.webui import test_browser as setup
from tests.webui.test_browser import PASSWORD, Site, send_from_demo

browser, site, visitor, operator = setup.browser, setup.site, setup.visitor, setup.operator  # the fixtures

pytestmark = pytest.mark.browser

MAIL = Path(__file__).resolve().parents[1] / "data" / "mail"
HOSTILE_HTML = (
    '<p id="hello">Hello from the mail</p>'
    '<script>document.title = "pwned"; parent.document.title = "pwned";'
    'document.body.insertAdjacentHTML("beforeend", "<p id=ran>RAN</p>")</script>'
    "<img src=\"/nothing.png\" onerror=\"parent.document.title = 'pwned'; document.title = 'pwned'\">"
)


def log_in(page: Page, site: Site, target: str) -> None:
    page.goto(f"{site.url}/login?next={target}")
    page.fill("input[name=email]", "olga@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site.url}{target}")


def open_dialog(site: Site, visitor: Page, operator: Page, text: str) -> None:
    send_from_demo(visitor, site, text)
    expect(visitor.locator("#messages .msg.visitor")).to_have_count(1)
    with transaction(site.context.engine) as session:
        conversation_id = session.exec(select(Conversation)).one().id
    log_in(operator, site, f"/inbox/{conversation_id}")


def deliver(site: Site, name: str) -> int:
    assert store_raw(site.context, name, (MAIL / name).read_bytes(), None, ["support@example.com"])
    process_pending(site.context)
    with transaction(site.context.engine) as session:
        return session.exec(select(Conversation)).one().id or 0


def hostile_message(site: Site) -> tuple[int, int]:
    """An email message whose stored HTML carries a script, as if the sanitizer had missed it."""
    conversation_id = deliver(site, "hostile-attachment-names-and-active-types.eml")
    with transaction(site.context.engine) as session:
        message = session.exec(select(Message).where(Message.source == Source.EMAIL)).one()
        message.html = HOSTILE_HTML
        session.add(message)
        return conversation_id, message.id or 0


def test_the_original_frame_runs_no_script_from_the_mail(site: Site, operator: Page) -> None:
    conversation_id, message_id = hostile_message(site)
    original = f"/inbox/{conversation_id}/messages/{message_id}/original"
    log_in(operator, site, original)
    title = operator.title()

    frame = operator.frame_locator("#original")
    expect(frame.locator("#hello")).to_have_text("Hello from the mail")
    operator.wait_for_timeout(500)
    expect(frame.locator("#ran")).to_have_count(0)
    assert operator.title() == title != "pwned"

    operator.goto(f"{site.url}{original}/frame")  # opened on its own, the CSP sandboxes it just the same
    expect(operator.locator("#hello")).to_have_text("Hello from the mail")
    operator.wait_for_timeout(500)
    expect(operator.locator("#ran")).to_have_count(0)
    assert operator.title() != "pwned"


def test_cid_images_show_in_the_original_and_previews_in_the_dialog(site: Site, operator: Page) -> None:
    conversation_id = deliver(site, "thunderbird-pdf-and-inline-cid-image.eml")
    log_in(operator, site, f"/inbox/{conversation_id}")

    preview = operator.locator(".file img.preview")
    expect(preview).to_have_count(1)
    expect(preview).to_have_js_property("complete", True)
    assert preview.evaluate("img => img.naturalWidth") == 1
    expect(operator.locator(".file a.download")).to_have_text(["screenshot.png", "счёт-1024.pdf"])

    operator.click("a.original")
    image = operator.frame_locator("#original").locator("img")
    expect(image).to_have_attribute("src", re.compile(r"^/files/\d+/[A-Za-z0-9_-]+\?preview=1$"))
    with operator.expect_response(re.compile(r"/files/\d+/")) as loaded:
        operator.reload()
    assert loaded.value.status == 200
    assert loaded.value.header_value("content-type") == "image/png"


def test_a_file_the_operator_uploads_reaches_the_visitor_by_a_signed_link(
    site: Site, visitor: Page, operator: Page, tmp_path: Path
) -> None:
    open_dialog(site, visitor, operator, "Could you send me the contract?")
    contract = b"%PDF-1.4\n% the contract\n%%EOF\n"

    operator.fill("textarea[name=text]", "Here is the contract.")
    operator.set_input_files(
        "#files", files=[{"name": "договор.pdf", "mimeType": "application/pdf", "buffer": contract}]
    )
    operator.click("form[action$='/reply'] button[type=submit]")

    expect(operator.locator(".msg.operator .file a.download")).to_have_text(["договор.pdf"])
    link = visitor.locator("#messages .msg.operator .file a")
    expect(link).to_have_text(["договор.pdf"], timeout=5000)
    url = str(link.get_attribute("href"))  # absolute: the widget may run on another site
    assert url.startswith(f"{site.url}/files/")
    got = httpx.get(url)  # no cookie at all: the signed URL is enough
    assert got.status_code == 200
    assert got.content == contract
    head, token = url.rsplit("/", 1)
    assert httpx.get(f"{head}/{token[::-1]}").status_code == 404
    assert httpx.get(f"{head}/{token[:-1]}{'B' if token[-1] == 'A' else 'A'}").status_code == 404
    visitor.screenshot(path=str(tmp_path / "widget-file.png"), full_page=True)


def test_a_too_large_upload_shows_the_error_beside_the_field(
    site: Site, visitor: Page, operator: Page
) -> None:
    open_dialog(site, visitor, operator, "Hello")
    big = b"0" * (site.context.settings.uploads.max_file_size + 1)

    operator.fill("textarea[name=text]", "Text I do not want to type again")
    operator.set_input_files("#files", files=[{"name": "video.mp4", "mimeType": "video/mp4", "buffer": big}])
    operator.click("form[action$='/reply'] button[type=submit]")

    error = operator.locator("#files-error")
    expect(error).to_have_text("“video.mp4” is larger than 2 MB, the most a file may be. Nothing was sent.")
    assert error.evaluate("e => e.previousElementSibling.contains(document.getElementById('files'))")
    expect(operator.locator("textarea[name=text]")).to_have_value("Text I do not want to type again")
    expect(operator.locator(".msg.operator")).to_have_count(0)
    visitor.wait_for_timeout(1600)
    expect(visitor.locator("#messages .msg.operator")).to_have_count(0)
