"""The desk's panes follow the event stream in headless Chromium against the real `relaydesk serve`: a
mail sent by SMTP appears in an open list and an open dialog without a reload, one operator's note and
tag appear in another's open dialog while that operator's draft, file and half-typed tag stay, a
conversation that leaves the list's filter leaves the list, and the tab title counts the unread dialogs."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bridge.db import make_engine, migrate
from chatcore.models import Operator
from tests.support.process import RelaydeskProcess
from tests.webui.desk_seed import OLGA, PASSWORD, Seeded, seed
from tests.webui.test_browser import browser
from webui.auth import hash_password

__all__ = ["browser"]  # the module-wide Chromium, shared with test_browser
pytestmark = pytest.mark.browser

SECRET = "live-pages-browser-tests-secret-key-0123456789"
PAVEL = "pavel@example.com"
# Survives only as long as the page is not reloaded: the tests read it back to prove no reload happened.
MARK_PAGE = "window.notReloaded = true"
STILL_THE_SAME_PAGE = "window.notReloaded === true"
NOTE_NOTIFIED_OPERATORS = """document.addEventListener("relaydesk:event", ({detail}) => {
  if (detail.type === "delivery_changed") document.body.dataset.notified += " " + detail.recipient;
})"""


@dataclass(frozen=True)
class LiveDesk:
    url: str
    smtp_port: int
    engine: Engine
    seeded: Seeded


@pytest.fixture
def desk(tmp_path: Path, db_url: str) -> Iterator[LiveDesk]:
    engine = make_engine(db_url, str(tmp_path))
    migrate(engine)
    seeded = seed(engine, datetime.now(UTC))
    with Session(engine) as session:
        pavel = session.get(Operator, seeded.pavel)
        assert pavel is not None
        pavel.password_hash = hash_password(PASSWORD)
        session.add(pavel)
        session.commit()
    process = RelaydeskProcess(
        tmp_path,
        db_url,
        1,
        site={"secret_key": SECRET},
        outbound={"transport": "maildir", "maildir": str(tmp_path / "maildir")},
        uploads={"dir": str(tmp_path / "files")},
    ).start()
    yield LiveDesk(process.base_url, process.smtp_port, engine, seeded)
    process.stop()
    engine.dispose()


def open_desk(browser: Browser, desk: LiveDesk, email: str, target: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=desk.url)
    page = context.new_page()
    page.goto(f"/login?next={target}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{desk.url}{target}")
    listening(page)
    return page


def listening(page: Page) -> None:
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("data-live", "open")
    page.evaluate(MARK_PAGE)


@pytest.fixture
def olga(browser: Browser, desk: LiveDesk) -> Iterator[Page]:
    page = open_desk(browser, desk, OLGA, "/inbox")
    yield page
    page.context.close()


def send_mail(desk: LiveDesk, message_id: str, text: str, in_reply_to: str | None = None) -> None:
    mail = EmailMessage()
    mail["From"] = "Ivan Petrov <ivan@example.net>"
    mail["To"] = "support@example.com"
    mail["Subject"] = "Broken kettle"
    mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    mail.set_content(text)
    with smtplib.SMTP("127.0.0.1", desk.smtp_port, timeout=10) as smtp:
        smtp.send_message(mail)


def unread_in_title(page: Page) -> int:
    found = re.match(r"^\((\d+)\) ", page.title())
    return int(found.group(1)) if found else 0


def test_a_mail_by_smtp_appears_in_the_open_list_then_in_the_open_dialog(
    desk: LiveDesk, olga: Page, tmp_path: Path
) -> None:
    before = unread_in_title(olga)
    assert before >= 1, "the seeded desk has an unread dialog"
    expect(olga).to_have_title(re.compile(rf"^\({before}\) Inbox · Acme Help$"))

    send_mail(desk, "<kettle-1@example.net>", "My kettle does not boil.")
    first = olga.locator("#rows .row").first
    expect(first.locator(".who")).to_have_text("Ivan Petrov", timeout=10000)
    expect(first.locator(".badge")).to_have_text("1")
    expect(olga.locator("#tab-all .count")).to_have_text("4")
    expect(olga).to_have_title(f"({before + 1}) Inbox · Acme Help")
    assert olga.evaluate("document.querySelector('link[rel=icon]').href").startswith("data:image/png")
    assert olga.evaluate(STILL_THE_SAME_PAGE)
    olga.screenshot(path=str(tmp_path / "live-list.png"))

    first.locator(".row-link").click()
    expect(olga.locator("#dialog-title")).to_have_text("Ivan Petrov")
    listening(olga)
    expect(olga).to_have_title(f"({before}) Ivan Petrov · Acme Help"), "opening the dialog read it"

    send_mail(desk, "<kettle-2@example.net>", "Any news about my kettle?", "<kettle-1@example.net>")
    expect(olga.locator("#feed .msg.visitor .text").last).to_have_text(
        "Any news about my kettle?", timeout=10000
    )
    expect(olga.locator("#rows .row.current .message-count")).to_have_text("2 messages")
    expect(olga.locator("#rows .row.current .badge")).to_have_count(0), "seen as it arrived"
    expect(olga).to_have_title(f"({before}) Ivan Petrov · Acme Help")
    assert olga.evaluate(STILL_THE_SAME_PAGE)


def test_a_note_and_a_tag_from_one_operator_appear_in_anothers_dialog_keeping_the_draft(
    browser: Browser, desk: LiveDesk, olga: Page, tmp_path: Path
) -> None:
    dialog = f"/inbox/{desk.seeded.order}"
    pavel = open_desk(browser, desk, PAVEL, dialog)
    pavel.fill("#composer-text", "Анна, добрый день! Уточню у курьера и")
    attachment = tmp_path / "label.txt"
    attachment.write_text("tracking label", encoding="utf-8")
    pavel.set_input_files("#files", str(attachment))
    pavel.fill("#new-tag", "courier")

    olga.goto(dialog)
    olga.check("#mode-note")
    olga.fill("#composer-text", "Павел, курьер уже звонил.")
    olga.click("#send")
    olga.fill("#new-tag", "urgent")
    olga.click("#add-tag")
    olga.click("#assign-me")

    note = pavel.locator("#feed .msg.note .text").last
    expect(note).to_have_text("Павел, курьер уже звонил.", timeout=10000)
    expect(pavel.locator("#dialog-tags .tag-name")).to_have_text(["#delivery", "#urgent", "#vip"])
    expect(pavel.locator("#assignee option:checked")).to_have_text("Olga Smirnova")
    expect(pavel.locator("#composer-text")).to_have_value("Анна, добрый день! Уточню у курьера и")
    expect(pavel.locator("#new-tag")).to_have_value("courier")
    assert pavel.evaluate("document.getElementById('files').files[0].name") == "label.txt"
    assert pavel.evaluate(STILL_THE_SAME_PAGE)
    pavel.screenshot(path=str(tmp_path / "live-dialog.png"))

    pavel.click("#send")  # the kept draft and file are what goes out
    expect(pavel.locator("#feed .msg.operator .text").last).to_have_text(
        "Анна, добрый день! Уточню у курьера и"
    )
    expect(pavel.locator("#feed .msg.operator").last.locator(".file")).to_have_count(1)
    pavel.context.close()


def test_a_dialog_leaves_a_filtered_list_when_it_no_longer_matches(
    browser: Browser, desk: LiveDesk, olga: Page
) -> None:
    olga.goto("/inbox?assignee=none")
    listening(olga)
    expect(olga.locator("#rows .row .who")).to_have_text(["Анна Кузнецова"])

    pavel = open_desk(browser, desk, PAVEL, f"/inbox/{desk.seeded.order}")
    pavel.click("#assign-me")
    expect(pavel.locator("#notice")).to_be_visible()

    expect(olga.locator("#rows .row")).to_have_count(0, timeout=10000)
    expect(olga.locator("#tab-unassigned .count")).to_have_text("0")
    expect(olga.locator("#tab-all .count")).to_have_text("3")
    assert olga.evaluate(STILL_THE_SAME_PAGE)
    pavel.context.close()


def test_the_open_dialog_shows_when_the_visitor_has_seen_the_answer(
    browser: Browser, desk: LiveDesk, olga: Page, tmp_path: Path
) -> None:
    visitor = browser.new_context(base_url=desk.url)
    chat = visitor.new_page()
    chat.goto("/demo")
    chat.fill("#name", "Вера")
    chat.fill("#email", "vera@example.org")
    chat.fill("#text", "Добрый день! Вы работаете в субботу?")
    chat.click("#send")
    expect(chat.locator(".msg.visitor")).to_have_count(1)
    chat.close()  # the visitor is away when the answer comes
    first = olga.locator("#rows .row").first
    expect(first.locator(".who")).to_have_text("Вера", timeout=10000)
    first.locator(".row-link").click()
    listening(olga)

    pavel = open_desk(browser, desk, PAVEL, olga.url.removeprefix(desk.url))
    pavel.fill("#composer-text", "Да, с 10 до 16.")
    pavel.click("#send")
    answer = olga.locator("#feed .msg.operator").last
    expect(answer.locator(".text")).to_have_text("Да, с 10 до 16.", timeout=10000)
    expect(olga.locator("#visitor-seen")).to_have_count(0)

    chat = visitor.new_page()
    chat.goto("/demo")  # the visitor comes back and the chat shows the answer
    expect(chat.locator(".msg.operator .text")).to_have_text(["Да, с 10 до 16."], timeout=10000)
    expect(answer.locator("#visitor-seen")).to_have_text("✓ Seen by the visitor", timeout=10000)
    assert olga.evaluate(STILL_THE_SAME_PAGE)
    olga.screenshot(path=str(tmp_path / "live-seen.png"))
    pavel.context.close()
    visitor.close()


def set_tab_visibility(page: Page, state: str) -> None:
    """What the browser does when the operator switches tabs (headless Chromium never hides one)."""
    page.evaluate(
        "state => { Object.defineProperty(document, 'visibilityState', {value: state, configurable: true});"
        " document.dispatchEvent(new Event('visibilitychange')); }",
        state,
    )


def test_a_message_that_came_while_the_tab_was_hidden_is_read_when_it_shows_again(
    desk: LiveDesk, olga: Page
) -> None:
    send_mail(desk, "<kettle-1@example.net>", "My kettle does not boil.")
    first = olga.locator("#rows .row").first
    expect(first.locator(".who")).to_have_text("Ivan Petrov", timeout=10000)
    first.locator(".row-link").click()
    listening(olga)
    before = unread_in_title(olga)

    olga.evaluate(NOTE_NOTIFIED_OPERATORS)
    set_tab_visibility(olga, "hidden")
    send_mail(desk, "<kettle-2@example.net>", "Hello?", "<kettle-1@example.net>")
    expect(olga.locator("#feed .msg.visitor .text").last).to_have_text("Hello?", timeout=10000)
    # the operators' notification mails change the dialog's delivery states a moment later: once they
    # are in, only showing the tab again can read the dialog
    # (the worker sends them one after the other; on a machine busy with parallel tests that took
    # longer than 10 s, so the wait for each is longer)
    notified = olga.locator("body")
    expect(notified).to_have_attribute("data-notified", re.compile("olga@"), timeout=30000)
    expect(notified).to_have_attribute("data-notified", re.compile("pavel@"), timeout=30000)
    expect(olga.locator("#desk:not([data-updating])")).to_have_count(1)
    expect(olga.locator("#rows .row.current .badge")).to_have_text("1")
    expect(olga).to_have_title(f"({before + 1}) Ivan Petrov · Acme Help")

    set_tab_visibility(olga, "visible")
    expect(olga.locator("#rows .row.current .badge")).to_have_count(0)
    expect(olga).to_have_title(f"({before}) Ivan Petrov · Acme Help")
    assert olga.evaluate(STILL_THE_SAME_PAGE)
