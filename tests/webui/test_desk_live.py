"""The fragments a live desk page fetches, over HTTP on each database: signed in only, a row as the list
draws it or "" once it leaves the filters, the counts and unread count, the dialog with its card, and
reading only when asked."""

from __future__ import annotations

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from bridge.context import Context
from chatcore.models import Conversation, Operator
from chatcore.services import Desk
from tests.webui.conftest import log_in
from tests.webui.test_desk_pages import dialog_with, statements_for


@pytest.mark.parametrize("path", ["/inbox/live/rows?id=1", "/inbox/1/live"])
def test_the_fragments_want_a_session(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_a_row_comes_as_the_list_draws_it_and_empty_once_it_leaves_the_filter(
    client: TestClient, context: Context, operator_id: int
) -> None:
    anna, boris = dialog_with(context, "Анна", messages=2), dialog_with(context, "Boris")
    log_in(client)
    body = client.get(f"/inbox/live/rows?id={anna}&id={boris}&current={boris}&assignee=none").json()
    assert f'data-id="{anna}"' in body["rows"][str(anna)]
    assert "Анна" in body["rows"][str(anna)]
    assert "current" in body["rows"][str(boris)].split(">")[0]
    assert body["counts"] == {"mine": 0, "unassigned": 2, "all": 2}
    assert body["unread"] == 2

    with Session(context.engine) as session:
        conversation, me = session.get(Conversation, anna), session.get(Operator, operator_id)
        assert conversation is not None
        assert me is not None
        Desk(session, context.clock.now()).assign(conversation, me)
        session.commit()
    body = client.get(f"/inbox/live/rows?id={anna}&assignee=none").json()
    assert body["rows"] == {str(anna): ""}
    assert body["counts"] == {"mine": 1, "unassigned": 1, "all": 2}


def test_the_dialog_fragment_reads_the_dialog_only_when_asked(
    client: TestClient, context: Context, operator_id: int
) -> None:
    anna = dialog_with(context, "Анна", messages=2)
    log_in(client)
    fragment = client.get(f"/inbox/{anna}/live")
    assert fragment.status_code == 200
    assert 'id="live-dialog"' in fragment.text
    assert 'id="live-person"' in fragment.text
    assert "Message 1" in fragment.text
    assert "<html" not in fragment.text
    assert client.get("/inbox/live/rows").json()["unread"] == 1

    client.get(f"/inbox/{anna}/live?read=1")
    assert client.get("/inbox/live/rows").json()["unread"] == 0
    assert client.get("/inbox/999999/live").status_code == 404


def test_the_tab_title_counts_the_unread_dialogs(
    client: TestClient, context: Context, operator_id: int
) -> None:
    dialog_with(context, "Анна")
    dialog_with(context, "Boris")
    log_in(client)
    assert "<title>(2) Inbox · " in client.get("/inbox").text


def test_the_fragments_run_as_many_statements_for_3_dialogs_as_for_30(
    client: TestClient, context: Context, operator_id: int
) -> None:
    first = dialog_with(context, "First", 3)
    for number in range(2):
        dialog_with(context, f"Few{number}")
    log_in(client)
    rows, dialog = f"/inbox/live/rows?id={first}&current={first}", f"/inbox/{first}/live?read=1"
    client.get(dialog)  # the first read writes the read mark; later ones only read it
    few = (statements_for(client, context, rows), statements_for(client, context, dialog))
    for number in range(27):
        dialog_with(context, f"Many{number}", 2)
    many = (statements_for(client, context, rows), statements_for(client, context, dialog))
    assert many == few
    print(f"statements per request: /inbox/live/rows {many[0]}, /inbox/ID/live {many[1]}")
