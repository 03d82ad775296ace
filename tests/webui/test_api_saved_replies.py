"""/api/v1/saved-replies: shared ones for everybody (edited by the author and admins), personal ones
for their owner alone."""

from __future__ import annotations

from tests.webui.api_support import Team, error_of, team

__all__ = ["team"]
PATH = "/api/v1/saved-replies"


def titles(response_json: dict[str, list[dict[str, object]]]) -> list[object]:
    return [item["title"] for item in response_json["items"]]


def test_shared_replies_are_seen_by_all_and_personal_ones_by_their_owner(team: Team) -> None:
    shared = team.olga.post(PATH, json={"title": "Доставка", "text": "Доставим за 2 дня."})
    assert shared.status_code == 201
    assert shared.json()["shared"] is True
    personal = team.olga.post(PATH, json={"title": "Мой шаблон", "text": "Секрет", "shared": False})
    assert personal.status_code == 201
    assert personal.json()["owner"]["id"] == team.olga.operator_id
    assert titles(team.olga.get(PATH).json()) == ["Доставка", "Мой шаблон"]
    assert titles(team.boris.get(PATH).json()) == ["Доставка"]
    assert titles(team.anna.get(PATH).json()) == ["Доставка"], "admins do not see personal replies either"


def test_search_looks_in_titles_and_texts(team: Team) -> None:
    team.olga.post(PATH, json={"title": "Доставка", "text": "Курьер приедет завтра."})
    team.olga.post(PATH, json={"title": "Возврат", "text": "Деньги вернутся за 100% срок"})
    assert titles(team.boris.get(PATH, params={"q": "курьер"}).json()) == ["Доставка"]
    assert titles(team.boris.get(PATH, params={"q": "возв"}).json()) == ["Возврат"]
    assert titles(team.boris.get(PATH, params={"q": "100%"}).json()) == ["Возврат"]
    assert titles(team.boris.get(PATH, params={"q": "%"}).json()) == ["Возврат"], (
        "% is a character, not a wildcard"
    )


def test_someone_elses_personal_reply_does_not_exist_for_you(team: Team) -> None:
    reply_id = team.olga.post(PATH, json={"title": "Мой", "text": "Мой текст", "shared": False}).json()["id"]
    assert error_of(team.boris.patch(f"{PATH}/{reply_id}", json={"text": "чужой"})) == (404, None)
    assert error_of(team.anna.delete(f"{PATH}/{reply_id}")) == (404, None)
    changed = team.olga.patch(f"{PATH}/{reply_id}", json={"text": "Новый текст"})
    assert changed.status_code == 200
    assert changed.json()["text"] == "Новый текст"


def test_a_shared_reply_is_edited_by_its_author_and_admins_only(team: Team) -> None:
    reply_id = team.olga.post(PATH, json={"title": "Общий", "text": "Текст"}).json()["id"]
    assert error_of(team.boris.patch(f"{PATH}/{reply_id}", json={"text": "x"})) == (403, None)
    assert error_of(team.boris.delete(f"{PATH}/{reply_id}")) == (403, None)
    listed = team.boris.get(PATH).json()["items"][0]
    assert listed["editable"] is False
    assert team.anna.patch(f"{PATH}/{reply_id}", json={"title": "Общий (правка)"}).status_code == 200
    assert error_of(team.anna.patch(f"{PATH}/{reply_id}", json={"shared": False})) == (422, "shared")
    assert team.olga.patch(f"{PATH}/{reply_id}", json={"shared": False}).json()["shared"] is False
    assert titles(team.boris.get(PATH).json()) == []
    assert team.olga.delete(f"{PATH}/{reply_id}").status_code == 204
    assert titles(team.olga.get(PATH).json()) == []


def test_bad_fields_are_named(team: Team) -> None:
    assert error_of(team.olga.post(PATH, json={"title": " ", "text": "x"})) == (422, "title")
    assert error_of(team.olga.post(PATH, json={"title": "x" * 101, "text": "x"})) == (422, "title")
    assert error_of(team.olga.post(PATH, json={"title": "t", "text": ""})) == (422, "text")
    assert error_of(team.olga.post(PATH, json={"title": "t"})) == (422, "text")
    assert error_of(team.olga.post(PATH, json={"title": "t", "text": "x", "shared": "yes"})) == (
        422,
        "shared",
    )
    assert error_of(team.olga.get(PATH, params={"q": "x" * 201})) == (422, "q")
    assert error_of(team.olga.patch(f"{PATH}/12345", json={"title": "t"})) == (404, None)
