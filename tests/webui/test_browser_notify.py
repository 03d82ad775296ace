"""Desk notifications in real headless Chromium: a new visitor message shows a native notification (the
permission granted in the browser context) and plays a sound; clicking the notification opens the
dialog; an operator who switched them off on the profile gets neither."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from bridge import notifications
from bridge.db import transaction
from chatcore.models import Contact, Operator, Source
from chatcore.services import Desk, NewMessage
from tests.webui import test_browser as setup
from tests.webui.test_browser import PASSWORD, Site

browser, site = setup.browser, setup.site  # the fixtures

pytestmark = pytest.mark.browser

# Keeps every notification the page creates, so the test can read and click it as the system would.
RECORD_NOTIFICATIONS = """
window.shownNotifications = [];
const RealNotification = window.Notification;
window.Notification = class extends RealNotification {
  constructor(title, options) { super(title, options); window.shownNotifications.push(this); }
};
window.heardEvents = [];
document.addEventListener("relaydesk:event", (event) => window.heardEvents.push(event.detail.type));
"""


@pytest.fixture
def operator(browser: Browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(permissions=["notifications"], base_url=site.url)
    context.add_init_script(RECORD_NOTIFICATIONS)
    page = context.new_page()
    page.goto("/login?next=/inbox")
    page.fill("input[name=email]", "olga@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site.url}/inbox")
    page.wait_for_function("window.relaydeskEvents && window.relaydeskEvents.readyState === 1")
    yield page
    context.close()


def a_visitor_writes(site: Site, text: str) -> int:
    with transaction(site.context.engine) as session:
        now = site.context.clock.now()
        contact = session.exec(select(Contact).where(Contact.name == "Анна")).first()
        if contact is None:
            contact = Contact(name="Анна", first_seen=now, last_seen=now)
            session.add(contact)
            session.flush()
        desk = Desk(session, now)
        conversation, events = desk.start_conversation(contact, Source.CHAT, text)
        events += desk.post_visitor_message(conversation, NewMessage(text=text))
        notifications.react(session, site.context, events)
        return conversation.id or 0


def test_a_new_visitor_message_notifies_and_the_notification_opens_the_dialog(
    site: Site, operator: Page
) -> None:
    conversation_id = a_visitor_writes(site, "Здравствуйте!")
    operator.wait_for_function("window.shownNotifications.length === 1")
    assert (
        operator.evaluate("window.shownNotifications[0].body")
        == f"A new message in dialog #{conversation_id}"
    )
    expect(operator.locator("#live-settings")).to_have_attribute("data-sounds", "1")

    operator.evaluate("window.shownNotifications[0].onclick()")
    expect(operator).to_have_url(f"{site.url}/inbox/{conversation_id}")


def test_a_dialog_assigned_to_another_operator_does_not_notify(site: Site, operator: Page) -> None:
    with transaction(site.context.engine) as session:
        now = site.context.clock.now()
        ivan = Operator(email="ivan@example.com", name="Ivan", created_at=now)
        session.add(ivan)
        contact = Contact(name="Борис", first_seen=now, last_seen=now)
        session.add(contact)
        session.flush()
        desk = Desk(session, now)
        conversation, events = desk.start_conversation(contact, Source.CHAT, "for Ivan")
        events += desk.assign(conversation, ivan)
        events += desk.post_visitor_message(conversation, NewMessage(text="Ivan, are you there?"))
        notifications.react(session, site.context, events)
    mine = a_visitor_writes(site, "And this one is for anyone")
    operator.wait_for_function("window.shownNotifications.length >= 1")
    bodies = operator.evaluate("window.shownNotifications.map(n => n.body)")
    assert bodies == [f"A new message in dialog #{mine}"]


def test_switched_off_on_the_profile_there_is_no_notification_and_no_sound(
    site: Site, operator: Page
) -> None:
    with transaction(site.context.engine) as session:
        olga = session.exec(select(Operator).where(Operator.email == "olga@example.com")).one()
        olga.notify_sound = olga.notify_browser = False
        session.add(olga)
    operator.reload()
    operator.wait_for_function("window.relaydeskEvents && window.relaydeskEvents.readyState === 1")
    a_visitor_writes(site, "Hello?")
    operator.wait_for_function("window.heardEvents.includes('message_posted')")
    assert operator.evaluate("window.shownNotifications.length") == 0
    assert operator.locator("#live-settings").get_attribute("data-sounds") is None
