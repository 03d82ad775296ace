"""Settings → Saved replies over HTTP: personal replies stay their owner's, shared ones are edited by
the author and admins, search, delete after a confirmation, and the composer offers them."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from bridge.app import build_web_app
from tests.webui.api_support import Team, browser_session, start_conversation, team

__all__ = ["team"]
PAGE = "/settings/saved-replies"


def session_of(team: Team, email: str) -> tuple[TestClient, str]:
    client = TestClient(build_web_app(team.context), base_url="http://desk.test", follow_redirects=False)
    return client, browser_session(client, email)


def reply_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<li id="reply-(\d+)">', html)]


def id_of(html: str, title: str) -> int:
    found = re.search(
        rf'<li id="reply-(\d+)">\s*<div class="reply-head"><strong class="reply-title">{title}<', html
    )
    assert found is not None, title
    return int(found.group(1))


def test_personal_replies_are_their_owners_and_shared_ones_are_edited_by_author_and_admins(
    team: Team,
) -> None:
    olga, olga_csrf = session_of(team, "olga@example.com")
    boris, boris_csrf = session_of(team, "boris@example.com")
    anna, anna_csrf = session_of(team, "anna@example.com")
    shared = olga.post(
        PAGE, data={"csrf": olga_csrf, "title": "Доставка", "text": "Доставим за 2 дня.", "shared": "1"}
    )
    assert shared.status_code == 303
    olga.post(PAGE, data={"csrf": olga_csrf, "title": "My notes", "text": "Only mine."})
    olga_page = olga.get(PAGE).text
    assert "My notes" in olga_page
    assert "Доставка" in olga_page
    shared_id, personal_id = id_of(olga_page, "Доставка"), id_of(olga_page, "My notes")
    boris_page = boris.get(PAGE).text
    assert "My notes" not in boris_page
    assert "Доставка" in boris_page
    assert 'class="edit-link"' not in boris_page, "another operator's shared reply is not theirs to edit"
    edit = {"csrf": boris_csrf, "title": "X", "text": "Y", "shared": "1"}
    assert boris.post(f"{PAGE}/{shared_id}", data=edit).status_code == 403
    assert boris.post(f"{PAGE}/{personal_id}", data=edit).status_code == 404
    changed = anna.post(
        f"{PAGE}/{shared_id}",
        data={
            "csrf": anna_csrf,
            "title": "Доставка курьером",
            "text": "Курьер приедет завтра.",
            "shared": "1",
        },
    )
    assert changed.status_code == 303
    assert "Курьер приедет завтра." in boris.get(PAGE).text
    conversation = start_conversation(team.context)
    composer = olga.get(f"/inbox/{conversation}").text
    assert "Доставка курьером" in composer
    assert "My notes" in composer
    assert "My notes" not in boris.get(f"/inbox/{conversation}").text


def test_search_errors_beside_fields_and_delete_after_confirmation(team: Team) -> None:
    olga, csrf = session_of(team, "olga@example.com")
    empty = olga.post(PAGE, data={"csrf": csrf, "title": "  ", "text": "Текст", "shared": "1"})
    assert empty.status_code == 422
    assert 'id="title-error"' in empty.text
    assert "Текст</textarea>" in empty.text, "what was typed stays"
    for title, text in (("Возврат", "Деньги вернутся за 10 дней."), ("Hello", "Здравствуйте!")):
        olga.post(PAGE, data={"csrf": csrf, "title": title, "text": text, "shared": "1"})
    found = olga.get(PAGE, params={"q": "деньги"}).text
    assert "Возврат" in found
    assert "Hello" not in found
    refund = reply_ids(found)[0]
    confirm = olga.get(PAGE, params={"delete": refund}).text
    assert 'id="confirm-delete"' in confirm
    assert olga.post(f"{PAGE}/{refund}/delete", data={"csrf": csrf}).status_code == 303
    assert "Возврат" not in olga.get(PAGE).text
