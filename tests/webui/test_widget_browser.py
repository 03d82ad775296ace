"""widget.js on a site of its own, in headless Chromium: a sample shop served from another port (another
origin) pastes the script tag of a real `relaydesk serve`. The launcher shows, a visitor writes, the
operator answers through the API and the answer appears live; a reload keeps the history and does not
ask the name again; the three modes (an operator-started dialog opens the panel in `hidden` mode); a
wrong user hash and a page on a disallowed origin are refused."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bridge import notifications
from bridge.app import build_context
from bridge.context import Context
from bridge.db import make_engine
from bridge.settings import load_settings
from chatcore.models import Contact, ContactEvent, Operator
from chatcore.services import Desk, NewMessage
from tests.support.dovecot import free_loopback_port
from tests.support.process import RelaydeskProcess
from tests.webui.test_browser import browser

__all__ = ["browser"]  # the module-wide Chromium, shared with test_browser
pytestmark = pytest.mark.browser

SECRET = "widget-browser-tests-secret-key-0123456789"
ATTRIBUTES = {"mode": "data-mode", "user_id": "data-user-id", "user_hash": "data-user-hash"}


def sample_page(desk_url: str, query: str) -> bytes:
    """A shop's page with the pasted script tag; `?mode=` etc. become the tag's data- attributes."""
    params = {key: values[0] for key, values in parse_qs(query).items()}
    extra = "".join(f' {ATTRIBUTES[k]}="{html.escape(v)}"' for k, v in params.items() if k in ATTRIBUTES)
    lang = html.escape(params.get("lang", "en"))
    page = f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>Sample shop</title><style>button {{ color: red !important; font-size: 40px !important }}</style></head>
<body><h1>Sample shop</h1><a href="/other">Another page</a>
<script src="{desk_url}/widget.js" async{extra}></script></body></html>"""
    return page.encode()


@dataclass
class Setup:
    desk: RelaydeskProcess
    shop: str  # the sample site's origin, allowed
    elsewhere: str  # the same pages on an origin the desk does not allow
    token: str
    engine: Engine
    context: Context


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    workdir = tmp_path_factory.mktemp("widget")
    port = free_loopback_port()
    db_url = f"sqlite:///{workdir / 'relaydesk.db'}"
    desk = RelaydeskProcess(
        workdir,
        db_url,
        1,
        site={"secret_key": SECRET},
        outbound={"transport": "maildir", "maildir": str(workdir / "maildir")},
        uploads={"dir": str(workdir / "files")},
        widget={"allowed_origins": [f"http://127.0.0.1:{port}"]},
    )
    added = desk.cli("operator", "add", "olga@example.com", "--name", "Olga", "--no-email")
    assert added.returncode == 0, added.stderr
    desk.start()
    token = desk.cli("token", "create", "olga@example.com").stdout.strip().splitlines()[-1]

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = sample_page(desk.base_url, urlsplit(self.path).query)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    engine = make_engine(db_url, str(workdir))
    context = build_context(load_settings(desk.config), engine=engine)
    yield Setup(desk, f"http://127.0.0.1:{port}", f"http://localhost:{port}", token, engine, context)
    server.shutdown()
    desk.stop()
    engine.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 760})
    yield context.new_page()
    context.close()


def widget(page: Page, state: str = "ready") -> None:
    expect(page.locator("#relaydesk-widget")).to_have_attribute("data-state", state)


def streaming(page: Page) -> str:
    """Waits until the widget follows the visitor's event stream; returns the visitor's id."""
    expect(page.locator("#chat")).to_have_attribute("data-live", "stream")
    stored = page.evaluate("Object.values({...localStorage}).map(JSON.parse)[0].visitor")
    return str(stored).rpartition(".")[0]


def focused_id(page: Page) -> str:
    return str(
        page.evaluate("document.getElementById('relaydesk-widget').shadowRoot.activeElement?.id || ''")
    )


def operator_starts_a_dialog(setup: Setup, visitor_id: str, text: str) -> None:
    with Session(setup.engine) as session:
        now = setup.context.clock.now()
        contact = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).one()
        olga = session.exec(select(Operator)).one()
        desk = Desk(session, now)
        conversation, events = desk.start_conversation(contact, "chat", "From the shop")
        events += desk.post_operator_message(conversation, olga, NewMessage(text=text, source="api"))
        notifications.react(session, setup.context, events)
        session.commit()


def test_a_visitor_writes_from_another_site_and_the_operator_answers_live(setup: Setup, page: Page) -> None:
    page.goto(f"{setup.shop}/?lang=ru")
    launcher = page.locator(".launcher")
    expect(launcher).to_be_visible()
    expect(launcher).to_have_attribute("aria-label", "Открыть чат")
    assert (
        launcher.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
    )  # the shop's CSS stays out
    expect(page.locator("#chat")).to_be_hidden()
    launcher.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#chat")).to_be_visible()
    assert focused_id(page) == "name"
    page.fill("#name", "Анна")
    page.fill("#email", "anna@example.org")
    page.fill("#text", "Есть размер M? 👍")
    page.press("#text", "Enter")
    expect(page.locator(".msg.visitor .text")).to_have_text(["Есть размер M? 👍"])
    visitor_id = streaming(page)

    api = httpx.Client(
        base_url=setup.desk.base_url, headers={"Authorization": f"Bearer {setup.token}"}, timeout=10
    )
    [item] = api.get("/api/v1/conversations").json()["items"]
    assert item["contact"]["name"] == "Анна"
    reply = api.post(f"/api/v1/conversations/{item['id']}/messages", json={"text": "Да, есть."})
    assert reply.status_code == 201
    expect(page.locator(".msg.operator .text")).to_have_text(["Да, есть."])
    expect(page.locator(".msg.operator .meta")).to_have_text(["Olga"])
    assert page.locator(".msg.operator time").inner_text().strip()

    page.reload()  # the panel stays open, the history is there, the name is not asked again
    expect(page.locator(".msg .text")).to_have_text(["Есть размер M? 👍", "Да, есть."])
    expect(page.locator("#name")).to_be_hidden()
    expect(page.locator("#email")).to_be_hidden()
    page.press("#text", "Escape")
    expect(page.locator("#chat")).to_be_hidden()
    assert page.evaluate(
        "document.getElementById('relaydesk-widget').shadowRoot.activeElement.className"
    ) == ("launcher")
    with Session(setup.engine) as session:  # each page load was recorded for the card
        contact = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).one()
        views = session.exec(select(ContactEvent).where(ContactEvent.contact_id == contact.id)).all()
    assert [(v.kind, v.title) for v in views] == [("page_view", "Sample shop")] * 2


def test_when_conversation_shows_the_launcher_once_an_operator_starts_a_dialog(
    setup: Setup, page: Page
) -> None:
    page.goto(f"{setup.shop}/?mode=when_conversation")
    widget(page)
    visitor_id = streaming(page)
    expect(page.locator(".launcher")).to_be_hidden()
    operator_starts_a_dialog(setup, visitor_id, "Can we help you choose?")
    expect(page.locator(".launcher")).to_be_visible()
    expect(page.locator(".badge")).to_have_text("1")
    page.click(".launcher")
    expect(page.locator(".msg.operator .text")).to_have_text(["Can we help you choose?"])


def test_hidden_shows_nothing_until_an_operator_writes_then_stays_until_closed(
    setup: Setup, page: Page
) -> None:
    page.goto(f"{setup.shop}/?mode=hidden")
    widget(page)
    visitor_id = streaming(page)
    expect(page.locator(".launcher")).to_be_hidden()
    expect(page.locator("#chat")).to_be_hidden()
    operator_starts_a_dialog(setup, visitor_id, "Your parcel is here.")
    expect(page.locator("#chat")).to_be_visible()
    expect(page.locator(".msg.operator .text")).to_have_text(["Your parcel is here."])
    page.goto(f"{setup.shop}/other?mode=hidden")  # another page: still open, until the visitor closes it
    expect(page.locator(".msg.operator .text")).to_have_text(["Your parcel is here."])
    page.click(".close")
    expect(page.locator("#chat")).to_be_hidden()
    page.reload()
    widget(page)
    expect(page.locator("#chat")).to_be_hidden()
    expect(page.locator(".launcher")).to_be_hidden()


def test_a_wrong_user_hash_and_a_disallowed_origin_are_refused(setup: Setup, page: Page) -> None:
    with page.expect_response(lambda r: "/api/widget/config" in r.url) as answer:
        page.goto(f"{setup.shop}/?user_id=42&user_hash={'0' * 64}")
    assert answer.value.status == 403
    widget(page, "refused")
    expect(page.locator(".launcher")).to_have_count(0)

    page.goto(f"{setup.elsewhere}/")
    widget(page, "unreachable")  # the browser kept the desk's answer from the page
    expect(page.locator(".launcher")).to_have_count(0)
    failed = page.evaluate(
        """url => fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                              body: JSON.stringify({text: "spam"})}).then(() => "sent", e => e.name)""",
        f"{setup.desk.base_url}/api/widget/messages",
    )
    assert failed == "TypeError"
    refused = httpx.post(
        f"{setup.desk.base_url}/api/widget/messages",
        json={"text": "spam"},
        headers={"Origin": setup.elsewhere},
    )
    assert refused.status_code == 403
