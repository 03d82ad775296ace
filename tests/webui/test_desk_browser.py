"""The operator desk in headless Chromium against the real `relaydesk serve` process: the three panes,
every action an operator takes in them, the keys, the phone layout."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bridge.db import make_engine, migrate
from chatcore.models import Contact, Conversation, Message, Operator, SavedReply, Source
from chatcore.services import Desk, NewMessage
from tests.support.factories import add_contact
from tests.support.process import RelaydeskProcess
from tests.webui.desk_seed import OLGA, PASSWORD, Seeded, seed
from tests.webui.test_browser import browser

__all__ = ["browser"]  # the module-wide Chromium, shared with test_browser
pytestmark = pytest.mark.browser

SECRET = "desk-browser-tests-secret-key-0123456789"


@dataclass(frozen=True)
class DeskSite:
    url: str
    engine: Engine
    seeded: Seeded


@pytest.fixture
def desk(tmp_path: Path, db_url: str) -> Iterator[DeskSite]:
    engine = make_engine(db_url, str(tmp_path))
    migrate(engine)
    seeded = seed(engine, datetime.now(UTC))
    process = RelaydeskProcess(
        tmp_path,
        db_url,
        1,
        site={"secret_key": SECRET},
        outbound={"transport": "maildir", "maildir": str(tmp_path / "maildir")},
        uploads={"dir": str(tmp_path / "files")},
    ).start()
    yield DeskSite(process.base_url, engine, seeded)
    process.stop()
    engine.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def log_in(page: Page, desk: DeskSite, target: str = "/inbox") -> None:
    page.goto(f"{desk.url}/login?next={target}")
    page.fill("input[name=email]", OLGA)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{desk.url}{target}")
    ready(page)


def ready(page: Page) -> None:
    """desk.js has run on the page now shown: keys, pickers and the card's saving work."""
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))


def expect_names(page: Page, names: list[str]) -> None:
    expect(page.locator("#rows .row .who")).to_have_text(names)


def conversation(desk: DeskSite, conversation_id: int) -> Conversation:
    with Session(desk.engine) as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        return found


def test_the_list_filters_by_tag_and_operator_and_a_link_reproduces_it(desk: DeskSite, page: Page) -> None:
    log_in(page, desk)
    expect(page.locator("#rows .row")).to_have_count(3)
    expect_names(page, ["Анна Кузнецова", "maria@example.com", "John Carter"]), ("newest activity first")
    expect(page.locator("#tab-mine .count")).to_have_text("1")
    expect(page.locator("#tab-unassigned .count")).to_have_text("1")
    expect(page.locator("#tab-all .count")).to_have_text("3")
    first = page.locator("#rows .row").first
    expect(first.locator(".message-count")).to_have_text("5 messages")
    expect(first.locator(".awaiting")).to_have_text("awaiting reply")
    expect(first.locator(".tag")).to_have_text(["#delivery", "#vip"])
    expect(page.locator("#rows .row", has_text="John Carter").locator(".avatar")).to_have_text("O")

    page.fill("#filter-tag", "billing")
    page.press("#filter-tag", "Enter")
    expect(page).to_have_url(re.compile(r"/inbox\?tag=billing$"))
    expect_names(page, ["maria@example.com", "John Carter"])
    page.select_option("#filter-assignee", label="Pavel Orlov")
    expect(page).to_have_url(re.compile(rf"assignee={desk.seeded.pavel}"))
    expect_names(page, ["maria@example.com"])
    expect(page.locator("#tab-all .count")).to_have_text("2"), "counts keep the tag, not the operator"

    page.click("#tab-mine")
    expect_names(page, ["John Carter"])
    link = page.url
    page.goto(f"{desk.url}/inbox")
    page.goto(link)
    expect_names(page, ["John Carter"])
    expect(page.locator("#filter-assignee")).to_have_value("me")
    expect(page.locator("#filter-tags .chip")).to_have_text(["#billing ×"])

    page.click("#filter-tags .chip")  # drop the tag from the filter
    page.click("#tab-all")
    page.check("#filter-awaiting")
    expect(page).to_have_url(re.compile(r"awaiting=1"))
    expect_names(page, ["Анна Кузнецова", "John Carter"])
    page.click("#status-closed")
    expect_names(page, [])
    page.uncheck("#filter-awaiting")
    expect_names(page, ["Анна Кузнецова"])


def test_open_by_keys_reply_with_ctrl_enter_note_and_emoji(desk: DeskSite, page: Page) -> None:
    log_in(page, desk)
    expect(page.locator("#rows .row").first.locator(".badge")).to_have_text("1"), "Olga read up to her note"
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator("#rows .row.selected .who")).to_have_text("maria@example.com")
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{desk.url}/inbox/{desk.seeded.order}")
    expect(page.locator("h1")).to_have_text("Анна Кузнецова")
    expect(page.locator("#rows .row.current .badge")).to_have_count(0), "opening a dialog reads it"

    feed = page.locator("#feed")
    expect(feed.locator(".msg.visitor")).to_have_count(2)
    expect(feed.locator(".msg.autoreply .author")).to_have_text("Autoreply")
    expect(feed.locator(".msg.note .kind-label")).to_have_text("internal note")
    expect(feed.locator(".msg.operator .delivery.sent")).to_have_text("Emailed to anna@example.org")
    email = feed.locator(".msg.visitor").last
    expect(email.locator(".source")).to_have_text("by email")
    quoted = email.locator("details.quote")
    expect(quoted.locator(".quoted")).to_be_hidden()
    quoted.locator("summary").click()
    expect(quoted.locator(".quoted")).to_contain_text("Заказ уже в пути")
    expect(email.locator("a.original")).to_have_text("Show original")

    ready(page)
    page.keyboard.press("r")
    page.keyboard.type("В субботу можем, ")
    page.click("#emoji-button")
    page.click("#emoji-picker button >> nth=12")  # 👍
    expect(page.locator("#composer-text")).to_have_value("В субботу можем, 👍")
    page.keyboard.press("Control+Enter")
    expect(feed.locator(".msg.operator .text").last).to_have_text("В субботу можем, 👍")

    page.check("#mode-note")
    expect(page.locator("#composer")).to_have_class(re.compile("note-mode"))
    page.fill("#composer-text", "Курьер подтвердил субботу.")
    page.click("#send")
    expect(feed.locator(".msg.note .text").last).to_have_text("Курьер подтвердил субботу.")
    with Session(desk.engine) as session:
        notes = session.exec(select(Message).where(Message.is_note == True)).all()  # noqa: E712
        assert [m.text for m in notes][-1] == "Курьер подтвердил субботу."


def test_saved_replies_are_inserted_by_slash_and_saved_from_the_text(desk: DeskSite, page: Page) -> None:
    log_in(page, desk, f"/inbox/{desk.seeded.invoice}")
    text = page.locator("#composer-text")
    text.click()
    page.keyboard.type("Hello! /deliv")
    expect(page.locator("#saved-picker")).to_be_visible()
    expect(page.locator("#saved-list li:visible")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(text).to_have_value("Hello! Orders ship within 2 working days.")
    expect(page.locator("#saved-picker")).to_be_hidden()

    page.click("#saved-button")
    page.fill("#saved-search", "спасибо")
    page.click("#saved-list li:visible button")
    expect(text).to_have_value("Hello! Orders ship within 2 working days.Спасибо, что написали нам!")

    text.fill("Your invoice is attached again; check the spam folder too.")
    page.click("#save-reply summary")
    page.click("#save-reply-button")  # no title yet
    expect(page.locator("#reply-title-error")).to_have_text("Give the saved reply a name.")
    expect(text).to_have_value("Your invoice is attached again; check the spam folder too.")
    page.fill("#reply-title", "Invoice again")
    page.click("#save-reply-button")
    expect(page.locator("#notice")).to_have_text("The saved reply is added.")
    expect(text).to_have_value("Your invoice is attached again; check the spam folder too.")
    with Session(desk.engine) as session:
        titles = [r.title for r in session.exec(select(SavedReply))]
    assert "Invoice again" in titles
    text.fill("")
    text.type("/invoice")
    expect(page.locator("#saved-list li:visible")).to_have_text([re.compile("^Invoice again")])


def test_a_file_is_sent_with_the_reply(desk: DeskSite, page: Page) -> None:
    log_in(page, desk, f"/inbox/{desk.seeded.refund}")
    page.fill("#composer-text", "The form, once more.")
    page.set_input_files(
        "#files",
        files=[{"name": "возврат.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}],
    )
    page.click("#send")
    last = page.locator("#feed .msg.operator").last
    expect(last.locator(".text")).to_have_text("The form, once more.")
    expect(last.locator(".file a.download")).to_have_text("возврат.pdf")
    expect(page.locator("#feed .msg.operator .delivery.failed").first).to_contain_text(
        "Not delivered to maria@example.com: 550 5.1.1 mailbox unavailable"
    )


def test_tag_untag_assign_close_and_reopen(desk: DeskSite, page: Page) -> None:
    order = desk.seeded.order
    log_in(page, desk, f"/inbox/{order}?tag=vip")
    expect(page.locator("#rows .row")).to_have_count(1)

    page.keyboard.press("t")
    expect(page.locator("#new-tag")).to_be_focused()
    page.keyboard.type("urgent")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{desk.url}/inbox/{order}?tag=vip"), "the list's filter is kept"
    expect(page.locator("#dialog-tags .tag-name")).to_have_text(["#delivery", "#urgent", "#vip"])
    assert "urgent" in page.locator("#tag-names option").evaluate_all("os => os.map(o => o.value)")
    page.fill("#new-tag", "два слова!")
    page.click("#add-tag")
    expect(page.locator("#tag-error")).to_contain_text("A tag is one word")
    expect(page.locator("#new-tag")).to_have_value("два слова!")
    page.locator("#dialog-tags form", has_text="#delivery").locator("button.untag").click()
    expect(page.locator("#dialog-tags .tag-name")).to_have_text(["#urgent", "#vip"])

    ready(page)
    page.keyboard.press("a")
    expect(page.locator("#notice")).to_have_text("Assigned to Olga Smirnova.")
    expect(page.locator("#assign-me")).to_have_count(0)
    expect(page.locator("#rows .row.current .avatar")).to_have_text("O")
    page.select_option("#assignee", label="Pavel Orlov")
    expect(page.locator("#notice")).to_have_text("Assigned to Pavel Orlov.")
    assert conversation(desk, order).assignee_id == desk.seeded.pavel
    page.select_option("#assignee", "none")
    expect(page.locator("#notice")).to_have_text("Nobody is assigned now.")

    ready(page)
    page.keyboard.press("e")
    expect(page.locator("#dialog-status")).to_have_text("The dialog is closed")
    expect(page.locator("#rows .row")).to_have_count(0), "the open list no longer has it"
    assert conversation(desk, order).status == "closed"
    page.click("#reopen")
    expect(page.locator("#dialog-status")).to_have_text("The dialog is open")
    expect(page.locator("#rows .row.current")).to_have_count(1)


def test_history_of_the_person_and_their_page(desk: DeskSite, page: Page) -> None:
    log_in(page, desk, f"/inbox/{desk.seeded.order}")
    expect(page.locator("#feed")).not_to_contain_text("Можно оплатить картой Мир?")
    page.click("#feed-history")
    expect(page.locator("#feed .feed-divider")).to_have_count(2)
    expect(page.locator("#feed .msg.visitor").first).to_have_text(re.compile("Можно оплатить картой Мир?"))
    page.click("#feed-this")
    expect(page.locator("#feed .feed-divider")).to_have_count(0)

    page.click("#contact-page-link")
    expect(page).to_have_url(f"{desk.url}/inbox/contacts/{desk.seeded.anna}")
    expect(page.locator("#contact-dialogs li a")).to_have_text(["Где мой заказ?", "Оплата картой"])
    expect(page.locator("#contact-dialogs .status")).to_have_text(["open", "closed"])


def test_the_card_refuses_a_bad_email_beside_it_then_saves_a_good_one(desk: DeskSite, page: Page) -> None:
    log_in(page, desk, f"/inbox/{desk.seeded.order}")
    page.fill("#composer-text", "A draft I keep")
    email = page.locator("#card-email")
    email.fill("anna at example")
    email.press("Tab")
    error = page.locator("#card-email-error")
    expect(error).to_have_text("This is not an email address.")
    assert error.evaluate("e => e.previousElementSibling.contains(document.getElementById('card-email'))")
    expect(email).to_have_value("anna at example")
    with Session(desk.engine) as session:
        assert session.get(Contact, desk.seeded.anna).email == "anna@example.org"  # type: ignore[union-attr]

    email.fill("Anna.K@Example.org")
    page.fill("#card-phone", "+7 (900) 000-00-00")
    page.fill("#card-notes", "Prefers Saturdays.")
    # "Saved" may already show from the email's save: wait for the notes' own answer before the
    # properties form reloads the page.
    with page.expect_response(lambda r: "Prefers Saturdays." in (r.request.post_data or "")):
        page.locator("#card-notes").press("Tab")
    expect(error).to_be_hidden()
    expect(page.locator("#card-saved")).to_be_visible()
    page.fill("#new-prop-key", "company")
    page.fill("#new-prop-value", "Рога и копыта")
    page.click("#properties-save")
    expect(page.locator("#properties input[name=prop_value]").nth(1)).to_have_value("Рога и копыта")
    expect(page.locator("#composer-text")).to_have_value("A draft I keep"), "the draft survives the reload"
    with Session(desk.engine) as session:
        anna = session.get(Contact, desk.seeded.anna)
        assert anna is not None
        assert (anna.email, anna.phone, anna.notes) == (
            "anna.k@example.org",
            "+7 (900) 000-00-00",
            "Prefers Saturdays.",
        )
        assert anna.properties == {"city": "Казань", "company": "Рога и копыта", "plan": "Pro"}


def saved_contact(desk: DeskSite, done: Callable[[Contact], bool], timeout: float = 10) -> Contact:
    """Anna's card as stored once `done` holds, or after `timeout` (a save sent as the page went lands a
    moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        with Session(desk.engine) as session:
            anna = session.get(Contact, desk.seeded.anna)
            assert anna is not None
        if done(anna) or time.monotonic() > deadline:
            return anna
        time.sleep(0.1)


def test_an_edit_on_the_card_is_saved_on_leaving_the_field_or_a_moment_after_typing(
    desk: DeskSite, page: Page
) -> None:
    log_in(page, desk, f"/inbox/{desk.seeded.order}")
    page.fill("#card-notes", "Звонить после шести.")
    page.click("#contact-page-link")  # the blur saves it, and the page goes at the same moment
    expect(page).to_have_url(f"{desk.url}/inbox/contacts/{desk.seeded.anna}")
    notes = "Звонить после шести."
    assert saved_contact(desk, lambda anna: anna.notes == notes).notes == notes

    page.goto(f"{desk.url}/inbox/{desk.seeded.order}")
    phone = "+7 900 111-22-33"
    page.fill("#card-phone", "")
    with page.expect_response(lambda r: r.request.method == "POST" and phone in (r.request.post_data or "")):
        page.locator("#card-phone").press_sequentially(phone)  # and stays in the field: no change event
    expect(page.locator("#card-saved")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "card-phone"
    page.goto(f"{desk.url}/inbox")
    assert saved_contact(desk, lambda anna: anna.phone == phone).phone == phone


def test_the_list_loads_more_as_it_scrolls(desk: DeskSite, page: Page) -> None:
    now = datetime.now(UTC)
    with Session(desk.engine) as session:
        for number in range(40):
            contact = add_contact(session, now=now, name=f"Visitor {number:02}")
            desk_ = Desk(session, now)
            started, _ = desk_.start_conversation(contact, Source.CHAT, f"Question {number}")
            desk_.post_visitor_message(started, NewMessage(f"Question number {number}", Source.CHAT))
        session.commit()
    log_in(page, desk)
    rows = page.locator("#rows .row")
    expect(rows).to_have_count(30)
    page.locator("#more").scroll_into_view_if_needed()
    expect(rows).to_have_count(43)
    expect(page.locator("#more")).to_have_count(0)
    names = page.locator("#rows .row .who").all_inner_texts()
    assert len(set(names)) == 43, "no row twice"


def test_the_keys_are_listed_by_the_question_mark(desk: DeskSite, page: Page) -> None:
    log_in(page, desk)
    page.keyboard.press("?")
    expect(page.locator("#keys")).to_be_visible()
    expect(page.locator("#keys kbd").first).to_have_text("j")
    page.keyboard.press("Escape")
    expect(page.locator("#keys")).to_be_hidden()


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate("document.body.scrollWidth") <= 360


def test_a_phone_shows_one_pane_at_a_time_without_horizontal_scroll(desk: DeskSite, phone: Page) -> None:
    log_in(phone, desk)
    expect(phone.locator("#list-pane")).to_be_visible()
    expect(phone.locator("#dialog-pane")).to_be_hidden()
    no_horizontal_scroll(phone)
    phone.locator("#rows .row-link").first.click()
    expect(phone.locator("#dialog-pane")).to_be_visible()
    expect(phone.locator("#list-pane")).to_be_hidden()
    expect(phone.locator("#person-pane")).to_be_hidden()
    no_horizontal_scroll(phone)
    phone.click("#show-person")
    expect(phone.locator("#person-pane")).to_be_visible()
    expect(phone.locator("#dialog-pane")).to_be_hidden()
    no_horizontal_scroll(phone)
    phone.click("#back-to-dialog")
    expect(phone.locator("#dialog-pane")).to_be_visible()
    phone.click("#back-to-list")
    expect(phone.locator("#list-pane")).to_be_visible()
    phone.goto(f"{desk.url}/inbox/contacts/{desk.seeded.anna}")
    no_horizontal_scroll(phone)


def test_the_desk_speaks_russian(desk: DeskSite, page: Page) -> None:
    with Session(desk.engine) as session:
        olga = session.get(Operator, desk.seeded.olga)
        assert olga is not None
        olga.language = "ru"
        session.add(olga)
        session.commit()
    log_in(page, desk, f"/inbox/{desk.seeded.order}")
    expect(page.locator("#rows .row .message-count")).to_have_text(
        ["5 сообщений", "2 сообщения", "3 сообщения"]
    )
    expect(page.locator("#dialog-status")).to_have_text("Диалог открыт")
    expect(page.locator("#feed .msg.visitor .source")).to_have_text(["в чате", "по почте"])
    expect(page.locator("#feed .msg.operator .delivery")).to_have_text(
        "Отправлено письмом на anna@example.org"
    )
    expect(page.locator("#tab-unassigned")).to_contain_text("Без ответственного")


def test_the_search_box_finds_other_word_forms_and_keeps_the_filters(desk: DeskSite, page: Page) -> None:
    log_in(page, desk)
    page.keyboard.press("Control+k")
    expect(page.locator("#search-box")).to_be_focused()
    page.keyboard.type("заказы")  # the dialog says "заказ": another form of the word
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/inbox\?q=%D0%B7%D0%B0%D0%BA%D0%B0%D0%B7%D1%8B$"))
    expect_names(page, ["Анна Кузнецова"])
    expect(page.locator("#rows .row .excerpt mark").first).to_have_text(re.compile("заказ", re.IGNORECASE))

    page.goto(f"{desk.url}/inbox?tag=billing")
    ready(page)
    page.keyboard.press("/")  # no dialog open: "/" searches
    expect(page.locator("#search-box")).to_be_focused()
    page.keyboard.type("refund")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"tag=billing&q=refund$"))
    expect_names(page, ["maria@example.com"])

    page.goto(f"{desk.url}/inbox?q=nothing-like-this-anywhere")
    expect(page.locator("#rows .no-rows")).to_contain_text("Nothing found")
