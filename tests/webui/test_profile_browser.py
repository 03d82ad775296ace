"""The profile page in real headless Chromium: arrive by a set-password link, choose a password, upload
an avatar (refused files first), switch to Russian; the visitor's chat then shows the avatar."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from chatcore.models import Operator
from tests.support.images import padded_png, png
from tests.webui.test_browser import (
    Site,
    browser,
    operator,
    reply_through_the_desk,
    send_from_demo,
    site,
    visitor,
)
from webui.auth import verify_password
from webui.password_links import make_token

__all__ = ["browser", "operator", "site", "visitor"]  # fixtures, shared with test_browser
pytestmark = pytest.mark.browser


def olga(site: Site) -> Operator:
    with Session(site.context.engine) as session:
        return session.exec(select(Operator).where(Operator.email == "olga@example.com")).one()


def olga_link(site: Site) -> str:
    token = make_token(site.context.settings.site.secret_key, olga(site), site.context.clock.now())
    return f"{site.url}/set-password/{token}"


def test_from_link_to_password_avatar_and_language(
    site: Site, operator: Page, visitor: Page, tmp_path: Path
) -> None:
    operator.goto(olga_link(site))
    expect(operator).to_have_url(f"{site.url}/inbox/profile")
    expect(operator.locator("#welcome")).to_be_visible()
    expect(operator.locator("#current_password")).to_have_count(0)
    operator.fill("#new_password", "chosen in the browser")
    operator.fill("#repeat_password", "chosen in the browser")
    operator.click("#save-password")
    expect(operator.locator("#password .saved")).to_have_text("Your password is saved.")
    expect(operator.locator("#current_password")).to_be_visible()

    # Refused before the server reads the body: the browser still gets the page with the message.
    big = tmp_path / "big.png"
    big.write_bytes(padded_png(3 * 1024 * 1024))
    operator.set_input_files("#avatar-file", str(big))
    operator.click("#save-avatar")
    expect(operator.locator("#avatar-error")).to_have_text("The image must be at most 1 MB.")

    svg = tmp_path / "me.svg"
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    operator.set_input_files("#avatar-file", str(svg))
    operator.click("#save-avatar")
    error = operator.locator("#avatar-error")
    expect(error).to_have_text("Only PNG, JPEG, WebP or GIF images are accepted.")
    assert error.evaluate("e => e.closest('section').id") == "avatar"
    expect(operator.locator("#avatar-image")).to_have_count(0)

    picture = tmp_path / "me.png"
    picture.write_bytes(png(4, 4))
    operator.set_input_files("#avatar-file", str(picture))
    operator.click("#save-avatar")
    expect(operator.locator("#avatar .saved")).to_have_text("Saved.")
    assert operator.locator("#avatar-image").evaluate("img => img.decode().then(() => img.naturalWidth)") == 4

    operator.select_option("#language", "ru")
    operator.click("#save-details")
    expect(operator.locator("h1")).to_have_text("Ваш профиль")
    operator.screenshot(path=str(tmp_path / "profile.png"), full_page=True)
    saved = olga(site)
    assert verify_password(saved.password_hash, "chosen in the browser")
    assert saved.language == "ru"

    send_from_demo(visitor, site, "Hello!")
    expect(visitor.locator("#messages .msg.visitor")).to_have_count(1)
    reply_through_the_desk(site, "Hi, Olga here.")
    avatar = visitor.locator("#messages .msg.operator .meta img.avatar")
    expect(avatar).to_have_count(1, timeout=5000)
    assert avatar.evaluate("img => img.decode().then(() => img.naturalWidth)") == 4
