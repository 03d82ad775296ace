"""Security headers and files on disk, against the real `relaydesk serve`, and its pages in headless
Chromium under the Content-Security-Policy: they still work, and another origin cannot frame them."""

from __future__ import annotations

import http.server
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.integration.desk_client import OPERATOR, browser, log_in, send_mail, start_desk
from tests.support.dovecot import free_loopback_port
from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink

pytestmark = pytest.mark.browser

Desk = tuple[RelaydeskProcess, str]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
HTML_MAIL = (
    b"From: Anna <anna@example.org>\r\nTo: support@example.com\r\nSubject: Styled\r\n"
    b"Message-ID: <styled-1@example.org>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b"<p>Hello from <b>an HTML mail</b></p>\r\n"
)


@pytest.fixture
def desk(tmp_path: Path, db_url: str, sink: SmtpSink) -> Iterator[Desk]:
    process, password = start_desk(tmp_path, db_url, sink.port)
    yield process, password
    assert process.stop() == 0


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1100, "height": 800})
    yield context.new_page()
    context.close()


def test_every_response_carries_the_security_headers(desk: Desk) -> None:
    process, _password = desk
    with closing(browser(process)) as client:
        answers = {
            path: client.get(path)
            for path in (
                "/login", "/demo", "/healthz", "/widget.js", "/api/widget/messages", "/nowhere"
            )
        }
        answers["413"] = client.post("/login", content=b"x" * 2_000_000)
    for path, answer in answers.items():
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["referrer-policy"] in ("same-origin", "no-referrer"), path
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy, path
        assert answer.headers["x-frame-options"] == "DENY", path
    page_policy = answers["/login"].headers["content-security-policy"]
    assert "script-src 'self'" in page_policy
    assert "unsafe-inline" not in page_policy.split("script-src", 1)[1].split(";", 1)[0]


def test_the_original_mail_frame_keeps_its_own_sandboxed_policy(desk: Desk) -> None:
    process, password = desk
    send_mail(process, HTML_MAIL)
    with closing(browser(process)) as olga:
        assert log_in(olga, password).status_code == 303
        frame = _wait_for_frame(olga)
    policy = frame.headers["content-security-policy"]
    assert "sandbox" in policy
    assert f"frame-ancestors {process.base_url}" in policy, "the desk's own original page may frame it"
    assert "x-frame-options" not in frame.headers
    assert "<b>an HTML mail</b>" in frame.text


def _wait_for_frame(client: httpx.Client) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        answer = client.get("/inbox/1/messages/1/original/frame")
        if answer.status_code == 200 or time.monotonic() > deadline:
            assert answer.status_code == 200
            return answer
        time.sleep(0.3)


def test_the_sqlite_database_is_readable_by_its_owner_only(desk: Desk, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("a PostgreSQL database is no file of ours")
    database = Path(db_url.removeprefix("sqlite:///"))
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def watch_policy_violations(page: Page) -> list[str]:
    refused: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            refused.append(message.text)

    page.on("console", seen)
    page.on("pageerror", lambda error: refused.append(str(error)))
    return refused


def test_the_pages_work_under_the_policy(desk: Desk, page: Page) -> None:
    process, password = desk
    refused = watch_policy_violations(page)

    page.goto(f"{process.base_url}/demo")
    page.fill("#name", "Анна")
    page.fill("#email", "anna@example.org")
    page.fill("#text", "Hello under a strict policy")
    page.click("#send")
    expect(page.locator("#messages .msg.visitor .text")).to_have_text("Hello under a strict policy")

    page.goto(f"{process.base_url}/login")
    page.fill("input[name=email]", OPERATOR)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{process.base_url}/inbox")
    page.click('a[href="/inbox/1"]')
    expect(page).to_have_url(f"{process.base_url}/inbox/1")
    expect(page.locator(".msg").first).to_contain_text("Hello under a strict policy")
    assert refused == []


class _FramingPage(http.server.BaseHTTPRequestHandler):
    target = ""

    def do_GET(self) -> None:
        body = f'<!doctype html><iframe id="desk" src="{self.target}" width="800" height="600"></iframe>'
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def other_origin(desk: Desk) -> Iterator[str]:
    """A page on another port of the same host (same site, another origin) that frames the desk's inbox."""
    process, _password = desk
    handler = type("Framing", (_FramingPage,), {"target": f"{process.base_url}/inbox/profile"})
    server = http.server.HTTPServer(("127.0.0.1", free_loopback_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_another_origin_cannot_frame_a_logged_in_page(desk: Desk, page: Page, other_origin: str) -> None:
    process, password = desk
    page.goto(f"{process.base_url}/login")
    page.fill("input[name=email]", OPERATOR)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{process.base_url}/inbox")

    page.goto(other_origin)  # waits for the frame to load too
    [framed] = [frame for frame in page.frames if frame != page.main_frame]
    refused_frame = (
        framed.url != f"{process.base_url}/inbox/profile" or framed.content().find("save-password") < 0
    )
    assert refused_frame, "the other origin framed the logged-in profile page"
