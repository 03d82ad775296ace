"""Settings → Mail in headless Chromium against the real `relaydesk serve`: a mail sent over SMTP from
an operator's other address is quarantined and its refusal notice cannot be delivered (the relay is
down); the admin sees both from the inbox header, retries the mail once the address is the operator's
and it lands in the dialog, and "retry now" delivers the notice once the relay is back.

One server and one browser for the module, on SQLite; the HTTP tests run both backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bridge.db import make_engine, migrate
from bridge.tokens import Party, Token, TokenCodec
from chatcore.models import Operator, OutboxMail, Source, SpoolItem, SpoolStatus
from chatcore.services import Desk, NewMessage
from tests.integration.test_loop import send_mail, wait_until
from tests.support.factories import add_contact, add_operator
from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink
from tests.webui.test_browser import browser
from webui.auth import hash_password

__all__ = ["browser"]  # the module-wide Chromium, shared with test_browser
pytestmark = pytest.mark.browser

SECRET = "settings-mail-browser-secret-0123456789"
PASSWORD = "settings-mail-browser-password"


@dataclass(frozen=True)
class MailSite:
    url: str
    engine: Engine
    sink: SmtpSink
    conversation_id: int
    pavel_id: int


def _seed(engine: Engine) -> tuple[int, int]:
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        ada = add_operator(
            session, "ada@example.com", now=now, name="Ada", password_hash=hash_password(PASSWORD)
        )
        ada.role = "admin"
        pavel = add_operator(session, "pavel@example.com", now=now, name="Pavel Orlov")
        anna = add_contact(session, now=now, name="Анна", email="anna@example.org")
        desk = Desk(session, now)
        conversation, _ = desk.start_conversation(anna, Source.CHAT, "Заказ 1042")
        desk.post_visitor_message(conversation, NewMessage("Когда отправите заказ?", Source.CHAT))
        session.add(ada)
        session.commit()
        return conversation.id or 0, pavel.id or 0


@pytest.fixture(scope="module")
def mail_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSite]:
    workdir = tmp_path_factory.mktemp("settings-mail")
    url = f"sqlite:///{workdir / 'relaydesk.db'}"
    engine = make_engine(url, str(workdir))
    migrate(engine)
    conversation_id, pavel_id = _seed(engine)
    sink = SmtpSink()  # not started: the relay's port is closed
    process = RelaydeskProcess(
        workdir,
        url,
        sink.port,
        site={"secret_key": SECRET},
        outbound={"retry_first": "1h", "timeout": "2s"},  # no retry of its own during the test
        uploads={"dir": str(workdir / "files")},
    ).start()
    token = Token(Party.OPERATOR, conversation_id, pavel_id).stamped(datetime.now(UTC))
    address = TokenCodec([SECRET]).reply_address("support@example.com", token)
    send_mail(
        process.smtp_port, "Pavel Orlov <pavel@home.example>", address, "Re: Заказ 1042", "Отправлю завтра."
    )
    wait_until(lambda: _notice_failed(engine), timeout=30)
    yield MailSite(process.base_url, engine, sink, conversation_id, pavel_id)
    process.stop()
    sink.stop()
    engine.dispose()


def _notice_failed(engine: Engine) -> bool:
    """The mail is quarantined and the notice to Pavel has failed once."""
    with Session(engine) as session:
        held = session.exec(select(SpoolItem).where(SpoolItem.status == SpoolStatus.QUARANTINED)).first()
        notice = session.exec(
            select(OutboxMail).where(
                OutboxMail.recipient == "pavel@example.com", col(OutboxMail.last_error) != ""
            )
        ).first()
        return held is not None and notice is not None


@pytest.fixture
def page(browser: Browser, mail_site: MailSite) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{mail_site.url}/login?next=/inbox")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{mail_site.url}/inbox")
    yield page
    context.close()


def test_a_quarantined_mail_is_retried_from_the_page_and_lands(mail_site: MailSite, page: Page) -> None:
    badge = page.locator("#mail-attention")
    expect(badge).to_contain_text("1 quarantined")
    badge.click()
    expect(page).to_have_url(f"{mail_site.url}/settings/mail")
    row = page.locator("#quarantine tr.held")
    expect(row).to_have_count(1)
    expect(row.locator(".why")).to_contain_text("which is not that operator's address")
    expect(row.locator(".who")).to_contain_text("pavel@home.example")

    row.locator(".who a").click()  # the original, in the sandboxed frame
    expect(page.locator("#reason")).to_contain_text("not that operator's address")
    frame = page.frame_locator("#original")
    expect(frame.locator("body")).to_contain_text("Отправлю завтра.")
    page.click("button.retry")
    expect(page.locator("#notice")).to_contain_text("still in quarantine")  # nothing fixed yet

    with Session(mail_site.engine) as session:  # the admin adds Pavel's home address as his
        pavel = session.get(Operator, mail_site.pavel_id)
        assert pavel is not None
        pavel.alternate_emails = ["pavel@home.example"]
        session.add(pavel)
        session.commit()
    page.locator("#quarantine tr.held button.retry").click()
    expect(page.locator("#notice")).to_contain_text("The mail went through")
    expect(page.locator("#quarantine tr.held")).to_have_count(0)
    page.click("#landed")
    expect(page).to_have_url(f"{mail_site.url}/inbox/{mail_site.conversation_id}")
    expect(page.locator(".msg.operator", has_text="Отправлю завтра.")).to_have_count(1)


def test_a_failed_delivery_is_retried_when_the_relay_is_back(mail_site: MailSite, page: Page) -> None:
    page.goto(f"{mail_site.url}/settings/mail")
    row = page.locator("#outbox tr.failing", has_text="pavel@example.com")
    expect(row.locator(".why")).not_to_be_empty()
    expect(row.locator(".attempts")).to_have_text("1")
    mail_site.sink.start()  # the relay comes back where it was
    row.locator("button.retry-now").click()
    expect(page.locator("#notice")).to_contain_text("will be sent again in a moment")
    delivered = mail_site.sink.wait_for(1, recipient="pavel@example.com")
    assert delivered[0].message["Subject"] == "Not posted: Заказ 1042"
    assert "pavel@home.example" in delivered[0].body()
    wait_until(lambda: _sent(mail_site.engine, "pavel@example.com"))
    page.reload()
    expect(page.locator("#outbox tr.failing", has_text="pavel@example.com")).to_have_count(0)


def _sent(engine: Engine, recipient: str) -> bool:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMail).where(OutboxMail.recipient == recipient)).all()
        return bool(rows) and all(row.status == "sent" for row in rows)
