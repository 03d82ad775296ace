"""Bridge scenarios against the real `relaydesk serve` and the real outbound sink: a burst coalesced into
one email, a tampered token, a key rotation, and an invitation followed from the email to a login."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.tokens import Party, TokenCodec
from tests.integration.test_loop import chat_messages, export, reply_address, send_mail, token_of, wait_until
from tests.support.process import RelaydeskProcess
from tests.support.settle import wait_settled
from tests.support.sink import SmtpSink, SunkMail

OLD_KEY = "integration-secret-0123456789abcdefghij"  # what RelaydeskProcess writes
NEW_KEY = "rotated-secret-0123456789abcdefghijklmn"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    relay = SmtpSink().start()
    yield relay
    relay.stop()


class Desk:
    """A `relaydesk serve` whose emails link to where it really listens, with two operators."""

    def __init__(self, tmp_path: Path, db_url: str, sink: SmtpSink, **overrides: dict[str, Any]) -> None:
        self.process = RelaydeskProcess(tmp_path, db_url, sink.port, **overrides)
        self.db_url, self.base_dir = db_url, str(tmp_path)
        self.rewrite('base_url = "http://desk.test"', f'base_url = "{self.process.base_url}"')
        for email, name in (("olga@example.com", "Olga"), ("ivan@example.com", "Ivan")):
            added = self.process.cli("operator", "add", email, "--name", name, "--no-email")
            assert added.returncode == 0, added.stderr
        self.process.start()

    def rewrite(self, old: str, new: str) -> None:
        text = self.process.config.read_text(encoding="utf-8")
        assert old in text
        self.process.config.write_text(text.replace(old, new), encoding="utf-8")

    def restart_with(self, old: str, new: str) -> None:
        assert self.process.stop() == 0
        self.rewrite(old, new)
        self.process.start()

    def quarantined(self) -> list[str]:
        listed = self.process.cli("quarantine", "list")
        assert listed.returncode == 0, listed.stderr
        return listed.stdout.splitlines()


@pytest.fixture
def desk(tmp_path: Path, db_url: str, sink: SmtpSink) -> Iterator[Desk]:
    started = Desk(tmp_path, db_url, sink)
    yield started
    assert started.process.stop() == 0


def visitor_writes(chat: httpx.Client, text: str) -> None:
    posted = chat.post("/api/widget/messages", json={"text": text, "name": "Ann", "email": "ann@example.org"})
    assert posted.status_code == 201, posted.text
    assert posted.json()["message"]["text"] == text


def mails_to(sink: SmtpSink, address: str) -> list[SunkMail]:
    return [mail for mail in sink.mails() if address in mail.recipients]


def altered(address: str) -> str:
    """The address with one character of its token changed (in the middle: it changes the data)."""
    local, domain = address.split("@")
    middle = len(local) - 10
    swap = "a" if local[middle] != "a" else "b"
    return f"{local[:middle]}{swap}{local[middle + 1 :]}@{domain}"


def operator_texts(desk: Desk) -> list[str]:
    [conversation] = export(desk.process)
    return [str(m["text"]) for m in conversation["messages"] if m["author_kind"] == "operator"]  # type: ignore[union-attr]


def test_a_burst_within_the_delay_is_one_email_to_each_operator(
    tmp_path: Path, db_url: str, sink: SmtpSink
) -> None:
    desk = Desk(tmp_path, db_url, sink, notifications={"operator_email_delay": "3s"})
    try:
        chat = httpx.Client(base_url=desk.process.base_url)
        burst = ["Hello?", "Is anyone there?", "Order 1234 is late.", "Заказ так и не пришёл."]
        started = time.monotonic()
        for text in burst:
            visitor_writes(chat, text)
        assert time.monotonic() - started < 2.5, "the burst must fit in the delay for this test to mean much"

        for operator in ("olga@example.com", "ivan@example.com"):
            [mail] = sink.wait_for(1, operator)
            body = mail.body()
            positions = [body.index(text) for text in burst]
            assert positions == sorted(positions), "all messages, in the order they were written"
        wait_settled(db_url, str(tmp_path))  # a second notification would have come by now
        assert len(mails_to(sink, "olga@example.com")) == 1
        assert len(mails_to(sink, "ivan@example.com")) == 1
    finally:
        assert desk.process.stop() == 0


def test_a_reply_to_a_tampered_token_is_quarantined_and_goes_nowhere(desk: Desk, sink: SmtpSink) -> None:
    chat = httpx.Client(base_url=desk.process.base_url)
    visitor_writes(chat, "Where is my refund?")
    notification = sink.wait_for(1, "olga@example.com")[0]
    tampered = altered(reply_address(notification))

    # A genuine In-Reply-To does not rescue a reply address that was changed on the way.
    send_mail(
        desk.process.smtp_port,
        "Olga <olga@example.com>",
        tampered,
        "Re: Where is my refund?",
        "Refund granted, 5000 EUR.",
        In_Reply_To=str(notification.message["Message-ID"]),
    )
    wait_until(lambda: len(desk.quarantined()) == 1, timeout=20)
    [line] = desk.quarantined()
    assert "olga@example.com" in line
    assert f"the reply address {tampered} carries a token that does not verify" in line

    wait_settled(desk.db_url, desk.base_dir)  # a leak to the visitor would have been mailed by now
    assert [m["text"] for m in chat_messages(chat)] == ["Where is my refund?"]
    assert operator_texts(desk) == []
    assert not [mail for mail in sink.mails() if "Refund granted" in mail.body()]
    assert [str(m.message["Subject"]) for m in mails_to(sink, "ann@example.org")] == [
        "Confirm your email address for Acme Help"
    ]


def test_key_rotation_accepts_old_tokens_until_the_old_key_is_dropped(desk: Desk, sink: SmtpSink) -> None:
    chat = httpx.Client(base_url=desk.process.base_url)
    visitor_writes(chat, "Is my order shipped?")
    notification = sink.wait_for(1, "olga@example.com")[0]
    old_address = reply_address(notification)
    assert TokenCodec([OLD_KEY]).decode(token_of(old_address)) is not None

    # The new key signs, the old one still verifies.
    desk.restart_with(
        f'secret_key = "{OLD_KEY}"', f'secret_key = "{NEW_KEY}"\nprevious_secret_keys = ["{OLD_KEY}"]'
    )
    send_mail(desk.process.smtp_port, "olga@example.com", old_address, "Re: order", "Shipped this morning.")
    wait_until(lambda: operator_texts(desk) == ["Shipped this morning."], timeout=20)
    visitor_writes(chat, "Thanks! And the invoice?")
    fresh = sink.wait_for(2, "olga@example.com")[1]
    fresh_token = TokenCodec([NEW_KEY]).decode(token_of(reply_address(fresh)))
    assert fresh_token is not None
    assert fresh_token.party is Party.OPERATOR
    assert TokenCodec([OLD_KEY]).decode(token_of(reply_address(fresh))) is None

    # The old key is dropped: the same kind of reply to the old address is refused.
    desk.restart_with(f'\nprevious_secret_keys = ["{OLD_KEY}"]', "")
    send_mail(desk.process.smtp_port, "olga@example.com", old_address, "Re: order", "Invoice attached.")
    wait_until(lambda: len(desk.quarantined()) == 1, timeout=20)
    assert "carries a token that does not verify" in desk.quarantined()[0]
    assert operator_texts(desk) == ["Shipped this morning."]
    # A reply under the new key still goes through.
    send_mail(desk.process.smtp_port, "olga@example.com", reply_address(fresh), "Re: order", "Invoice sent.")
    wait_until(lambda: operator_texts(desk) == ["Shipped this morning.", "Invoice sent."], timeout=20)


def csrf(html: str) -> str:
    match = _CSRF.search(html)
    assert match is not None
    return match.group(1)


def test_an_invitation_arrives_and_its_link_sets_a_password_to_log_in_with(
    desk: Desk, sink: SmtpSink
) -> None:
    base = desk.process.base_url
    added = desk.process.cli("operator", "add", "nina@example.com", "--name", "Nina", "--language", "ru")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == (
        "operator nina@example.com added; invitation queued to nina@example.com "
        "(set-password link valid for 72 hours)"
    )

    [invitation] = sink.wait_for(1, "nina@example.com")
    assert invitation.message["Subject"] == "Ваша учётная запись оператора в Acme Help"
    body = invitation.body()
    assert "Ваш логин: nina@example.com" in body
    assert f"{base}/inbox/profile" in body.split()
    link = next(word for word in body.split() if word.startswith(f"{base}/set-password/"))

    browser = httpx.Client(base_url=base)
    arrived = browser.get(link)
    assert arrived.status_code == 303
    assert arrived.headers["location"] == "/inbox/profile"
    page = browser.get("/inbox/profile")
    assert page.status_code == 200
    assert 'name="current_password"' not in page.text
    chosen = browser.post(
        "/inbox/profile/password",
        data={
            "new_password": "Nina's own passphrase",
            "repeat_password": "Nina's own passphrase",
            "csrf": csrf(page.text),
        },
    )
    assert chosen.status_code == 303

    fresh = httpx.Client(base_url=base)
    login = fresh.get("/login")
    logged_in = fresh.post(
        "/login",
        data={"email": "nina@example.com", "password": "Nina's own passphrase", "csrf": csrf(login.text)},
    )
    assert logged_in.status_code == 303
    assert logged_in.headers["location"] == "/inbox"
    inbox = fresh.get("/inbox")
    assert inbox.status_code == 200
    assert "Nina" in inbox.text
    assert httpx.Client(base_url=base).get(link).status_code == 410, "the link is spent"
