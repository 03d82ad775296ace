"""Sessions end when they should, against the real `relaydesk serve`: a copied session cookie stops working
after "log out everywhere", a new password or deactivation; a set-password link works once, and a new
invitation voids the links sent before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.integration.desk_client import OPERATOR, browser, csrf_of, log_in, start_desk
from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink

Desk = tuple[RelaydeskProcess, str]


@pytest.fixture
def desk(tmp_path: Path, db_url: str, sink: SmtpSink) -> Iterator[Desk]:
    process, password = start_desk(tmp_path, db_url, sink.port)
    yield process, password
    assert process.stop() == 0


def logged_in(process: RelaydeskProcess, password: str) -> httpx.Client:
    client = browser(process)
    assert log_in(client, password).status_code == 303
    assert client.get("/inbox").status_code == 200
    return client


def stolen_copy(process: RelaydeskProcess, client: httpx.Client) -> httpx.Client:
    """Another client holding the same session cookie, as a thief who copied it would."""
    thief = browser(process)
    thief.cookies.set("rd_session", client.cookies["rd_session"])
    assert thief.get("/inbox").status_code == 200
    return thief


def sent_to_login(client: httpx.Client) -> bool:
    answer = client.get("/inbox")
    return answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_log_out_everywhere_ends_a_copied_session(desk: Desk) -> None:
    process, password = desk
    with closing(logged_in(process, password)) as olga, closing(stolen_copy(process, olga)) as thief:
        token = csrf_of(olga, "/inbox/profile")
        answer = olga.post("/inbox/profile/sessions", data={"csrf": token})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login"
        assert sent_to_login(thief)
        assert sent_to_login(olga)


def test_a_new_password_ends_the_other_sessions_but_not_this_one(desk: Desk) -> None:
    process, password = desk
    with closing(logged_in(process, password)) as olga, closing(stolen_copy(process, olga)) as thief:
        token = csrf_of(olga, "/inbox/profile")
        new = "a brand new passphrase"
        form = {"csrf": token, "current_password": password, "new_password": new, "repeat_password": new}
        assert olga.post("/inbox/profile/password", data=form).status_code == 303
        assert sent_to_login(thief)
        assert olga.get("/inbox").status_code == 200


def test_deactivation_ends_the_operators_sessions(desk: Desk) -> None:
    process, password = desk
    with closing(logged_in(process, password)) as olga:
        done = process.cli("operator", "deactivate", OPERATOR)
        assert done.returncode == 0, done.stderr
        assert sent_to_login(olga)
        assert log_in(olga, password).status_code == 401


def set_password_path(sink: SmtpSink, count: int) -> str:
    mail = sink.wait_for(count, OPERATOR)[count - 1]
    link = next(word for word in mail.body().split() if "/set-password/" in word)
    return link[link.index("/set-password/") :]


def test_a_set_password_link_works_once_and_a_new_invitation_voids_the_older_one(
    desk: Desk, sink: SmtpSink
) -> None:
    process, _password = desk
    for _ in range(2):
        invited = process.cli("operator", "invite", OPERATOR)
        assert invited.returncode == 0, invited.stderr
    older, newer = set_password_path(sink, 1), set_password_path(sink, 2)
    assert older != newer

    with browser(process) as first, browser(process) as second:
        assert first.get(older).status_code == 410, "a new invitation voids the link sent before"
        used = first.get(newer)
        assert used.status_code == 303
        assert first.get("/inbox/profile").status_code == 200
        assert second.get(newer).status_code == 410, "the link was used once already"
        assert sent_to_login(second)
