"""Settings → Tags and /api/v1/tags over HTTP: counts, rename, colour on the desk's chips, merge,
delete after confirmation; admins only."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.webui.api_support import Team, browser_session, error_of, start_conversation, team

__all__ = ["team"]
API = "/api/v1/tags"


def tag(team: Team, conversation_id: int, *names: str) -> None:
    for name in names:
        response = team.olga.post(f"/api/v1/conversations/{conversation_id}/tags", json={"name": name})
        assert response.status_code in (200, 201), response.text


def seeded(team: Team) -> tuple[int, int]:
    first = start_conversation(team.context, email="ivan@example.org")
    second = start_conversation(team.context, email="petr@example.org")
    tag(team, first, "billing", "счета")
    tag(team, second, "счета")
    return first, second


def test_the_api_lists_changes_merges_and_deletes_tags(team: Team) -> None:
    first, second = seeded(team)
    assert error_of(team.olga.patch(f"{API}/billing", json={"colour": "red"}))[0] == 403
    assert error_of(team.olga.post(f"{API}/billing/merge", json={"into": "счета"}))[0] == 403
    assert error_of(team.olga.delete(f"{API}/billing"))[0] == 403
    assert team.olga.get(API).json()["items"] == [
        {"name": "billing", "colour": "grey", "conversations": 1},
        {"name": "счета", "colour": "grey", "conversations": 2},
    ]
    changed = team.anna.patch(f"{API}/billing", json={"name": "invoices", "colour": "green"})
    assert changed.json() == {"name": "invoices", "colour": "green", "conversations": 1}
    assert error_of(team.anna.patch(f"{API}/invoices", json={"name": "счета"})) == (409, "name")
    assert error_of(team.anna.patch(f"{API}/invoices", json={"colour": "pink"})) == (422, "colour")
    merged = team.anna.post(f"{API}/invoices/merge", json={"into": "счета"})
    assert merged.json() == {"name": "счета", "colour": "grey", "conversations": 2}
    assert team.olga.get(f"/api/v1/conversations/{first}").json()["tags"] == ["счета"]
    assert team.anna.delete(f"{API}/счета").status_code == 204
    assert team.olga.get(f"/api/v1/conversations/{second}").json()["tags"] == []
    assert error_of(team.anna.delete(f"{API}/счета"))[0] == 404


def test_the_page_renames_colours_merges_and_deletes_after_a_confirmation(team: Team) -> None:
    first, _ = seeded(team)
    client: TestClient = team.anna.client
    csrf = browser_session(client, "anna@example.com")
    page = client.get("/settings/tags").text
    assert 'id="tag-billing"' in page
    assert 'id="tag-счета"' in page
    saved = client.post("/settings/tags/billing", data={"csrf": csrf, "name": "Invoices", "colour": "red"})
    assert saved.status_code == 303
    assert "tag-red" in client.get(f"/inbox/{first}").text, "the chip in the dialog shows the colour"
    assert 'class="tag tag-red">#invoices' in client.get("/inbox?status=all").text
    taken = client.post("/settings/tags/invoices", data={"csrf": csrf, "name": "счета", "colour": "red"})
    assert taken.status_code == 409
    assert 'id="row-error"' in taken.text
    merged = client.post("/settings/tags/invoices/merge", data={"csrf": csrf, "into": "счета"})
    assert merged.status_code == 303
    confirm = client.get("/settings/tags?delete=счета").text
    assert 'id="confirm-delete"' in confirm
    assert "removed from 2 dialogs" in confirm
    assert client.post("/settings/tags/счета/delete", data={"csrf": csrf}).status_code == 303
    assert 'id="no-tags"' in client.get("/settings/tags").text
