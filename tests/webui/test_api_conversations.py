"""/api/v1/conversations: the list with its filters and counts, one conversation, and every action."""

from __future__ import annotations

from sqlmodel import Session, select

from chatcore.models import Attachment, Message, ReadMark
from tests.webui.api_support import Team, conversation_row, error_of, start_conversation, team

__all__ = ["team"]
PDF = b"%PDF-1.4 small\n"


def test_the_list_shows_items_newest_first_with_counts(team: Team) -> None:
    first = start_conversation(team.context, "Первый вопрос", "a@example.org")
    team.context.clock.advance(minutes=1)  # type: ignore[attr-defined]
    second = start_conversation(team.context, "Второй вопрос", "b@example.org")
    team.olga.put(f"/api/v1/conversations/{first}/assignee", json={"operator_id": team.olga.operator_id})
    body = team.olga.get("/api/v1/conversations").json()
    assert [item["id"] for item in body["items"]] == [second, first]
    assert body["counts"] == {"mine": 1, "unassigned": 1, "all": 2}
    assert body["next_cursor"] is None
    item = body["items"][0]
    assert item["contact"]["email"] == "b@example.org"
    assert item["last_message"]["text"] == "Второй вопрос"
    assert item["awaiting_reply"] is True
    assert item["unread_count"] == 1
    assert item["updated_at"].endswith(("Z", "+00:00"))


def test_the_list_filters_and_pages(team: Team) -> None:
    ids = [start_conversation(team.context, f"Вопрос {n}", f"c{n}@example.org") for n in range(3)]
    team.olga.post(f"/api/v1/conversations/{ids[0]}/tags", json={"name": "vip"})
    team.olga.post(f"/api/v1/conversations/{ids[0]}/tags", json={"name": "billing"})
    team.olga.post(f"/api/v1/conversations/{ids[1]}/tags", json={"name": "vip"})
    team.olga.post(f"/api/v1/conversations/{ids[2]}/close")
    tagged = team.olga.get("/api/v1/conversations?tag=vip&tag=billing").json()
    assert [item["id"] for item in tagged["items"]] == [ids[0]]
    closed = team.olga.get("/api/v1/conversations?status=closed").json()
    assert [item["id"] for item in closed["items"]] == [ids[2]]
    first_page = team.olga.get("/api/v1/conversations?status=all&limit=2").json()
    assert len(first_page["items"]) == 2
    assert first_page["next_cursor"]
    rest = team.olga.get(
        f"/api/v1/conversations?status=all&limit=2&cursor={first_page['next_cursor']}"
    ).json()
    seen = [item["id"] for item in first_page["items"] + rest["items"]]
    assert sorted(seen) == sorted(ids)
    unassigned = team.olga.get("/api/v1/conversations?assignee=none&status=all").json()
    assert len(unassigned["items"]) == 3


def test_the_list_refuses_bad_filters_naming_them(team: Team) -> None:
    for query, field in [
        ("status=pending", "status"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("assignee=someone", "assignee"),
        ("contact=x", "contact"),
        ("unread=maybe", "unread"),
        ("cursor=%%%", "cursor"),
    ]:
        assert error_of(team.olga.get(f"/api/v1/conversations?{query}")) == (422, field), query


def test_one_conversation_has_its_messages_oldest_first_and_pages_back(team: Team) -> None:
    conversation_id = start_conversation(team.context, "Раз")
    for text in ("Два", "Три"):
        team.olga.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": text})
    body = team.olga.get(f"/api/v1/conversations/{conversation_id}").json()
    assert [m["text"] for m in body["messages"]] == ["Раз", "Два", "Три"]
    assert body["message_count"] == 3
    assert body["has_older"] is False
    newest = body["messages"][-1]
    older = team.olga.get(f"/api/v1/conversations/{conversation_id}?before={newest['id']}&limit=1").json()
    assert [m["text"] for m in older["messages"]] == ["Два"]
    assert older["has_older"] is True


def test_posting_a_reply_and_a_note(team: Team) -> None:
    conversation_id = start_conversation(team.context)
    reply = team.olga.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "Отправили"})
    assert reply.status_code == 201
    assert reply.json()["author_kind"] == "operator"
    assert reply.json()["operator"]["id"] == team.olga.operator_id
    note = team.olga.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"text": "Проверить склад", "note": True}
    )
    assert note.status_code == 201
    assert note.json()["is_note"] is True
    assert error_of(
        team.olga.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "  "})
    ) == (
        422,
        "text",
    )
    assert error_of(team.olga.post("/api/v1/conversations/999/messages", json={"text": "x"})) == (404, None)


def test_posting_files_by_multipart(team: Team) -> None:
    conversation_id = start_conversation(team.context)
    path = f"/api/v1/conversations/{conversation_id}/messages"
    sent = team.olga.post(path, data={"text": ""}, files=[("files", ("a.pdf", PDF, "application/pdf"))])
    assert sent.status_code == 201, sent.text
    assert sent.json()["attachments"][0]["url"].startswith(f"/inbox/{conversation_id}/files/")
    too_big = b"x" * (team.context.settings.uploads.max_file_size + 1)
    refused = team.olga.post(
        path, data={"text": "big"}, files=[("files", ("big.bin", too_big, "application/pdf"))]
    )
    assert error_of(refused) == (413, "files")
    with Session(team.context.engine) as session:
        assert len(session.exec(select(Attachment)).all()) == 1
        assert [m.text for m in session.exec(select(Message).order_by(Message.id))][-1] == ""


def test_close_reopen_and_read(team: Team) -> None:
    conversation_id = start_conversation(team.context)
    closed = team.olga.post(f"/api/v1/conversations/{conversation_id}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    reopened = team.olga.post(f"/api/v1/conversations/{conversation_id}/reopen")
    assert reopened.json()["status"] == "open"
    read = team.boris.post(f"/api/v1/conversations/{conversation_id}/read")
    assert read.json()["unread_count"] == 0
    with Session(team.context.engine) as session:
        mark = session.get(ReadMark, (team.boris.operator_id, conversation_id))
        assert mark is not None
        assert mark.last_read_message_id > 0


def test_assigning_and_unassigning(team: Team) -> None:
    conversation_id = start_conversation(team.context)
    path = f"/api/v1/conversations/{conversation_id}/assignee"
    assigned = team.olga.put(path, json={"operator_id": team.boris.operator_id})
    assert assigned.json()["assignee"]["id"] == team.boris.operator_id
    assert conversation_row(team.context, conversation_id).assignee_id == team.boris.operator_id
    assert error_of(team.olga.put(path, json={"operator_id": 4242})) == (422, "operator_id")
    assert error_of(team.olga.put(path, json={"operator_id": "2"})) == (422, "operator_id")
    assert error_of(team.olga.put(path, json={})) == (422, "operator_id")
    assert team.olga.put(path, json={"operator_id": None}).json()["assignee"] is None


def test_tags_are_added_and_removed(team: Team) -> None:
    conversation_id = start_conversation(team.context)
    path = f"/api/v1/conversations/{conversation_id}/tags"
    assert team.olga.post(path, json={"name": "VIP"}).json()["tags"] == ["vip"]
    assert team.olga.post(path, json={"name": "доставка"}).json()["tags"] == ["vip", "доставка"]
    assert error_of(team.olga.post(path, json={"name": "two words"})) == (422, "name")
    assert team.olga.delete(f"{path}/vip").json()["tags"] == ["доставка"]
    assert team.olga.delete(f"{path}/%D0%B4%D0%BE%D1%81%D1%82%D0%B0%D0%B2%D0%BA%D0%B0").json()["tags"] == []
    assert error_of(team.olga.delete("/api/v1/conversations/777/tags/vip")) == (404, None)
