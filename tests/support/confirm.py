"""Follow the confirmation link the desk mailed to an address a visitor typed into the chat."""

from __future__ import annotations

import re

import httpx
from starlette.testclient import TestClient

from tests.support.mail import SentMail, recipient, text_of

_LINK = re.compile(r"https?://\S+?(/confirm-email/[0-9]+\.[0-9]+\.[A-Za-z0-9_\-]+)")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def confirmation_path(outbox: SentMail, address: str) -> str:
    """The path of the link in the one new confirmation mail to `address`."""
    [mail] = [m for m in outbox.tick() if recipient(m) == address]
    found = _LINK.search(text_of(mail))
    assert found is not None, "the confirmation mail has a link"
    return found.group(1)


def confirm(client: TestClient, path: str) -> str:
    """Open the link and press the button, as the owner of the address would; returns the page."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    token = _CSRF.search(page.text)
    assert token is not None
    done = client.post(path, data={"csrf": token.group(1)})
    assert done.status_code == 200, done.text
    return done.text


def confirm_over_http(base_url: str, mail_text: str) -> None:
    """Follow the link of a confirmation mail on a running desk and press the button."""
    found = _LINK.search(mail_text)
    assert found is not None, "the confirmation mail has a link"
    with httpx.Client(base_url=base_url) as browser:
        page = browser.get(found.group(1))
        token = _CSRF.search(page.text)
        assert page.status_code == 200, page.text
        assert token is not None
        done = browser.post(found.group(1), data={"csrf": token.group(1)})
        assert done.status_code == 200, done.text
        assert "Address confirmed" in done.text
