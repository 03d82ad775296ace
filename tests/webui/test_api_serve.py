"""The API on the real `relaydesk serve`, with a token from `relaydesk token create`, as a script
on the operator's machine would use it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.dovecot import free_loopback_port
from tests.support.process import RelaydeskProcess

SECRET = "api-serve-test-secret-0123456789abcdef"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def desk(tmp_path: Path, db_url: str) -> Iterator[RelaydeskProcess]:
    process = RelaydeskProcess(
        tmp_path,
        db_url,
        free_loopback_port(),
        site={"secret_key": SECRET},
        outbound={"transport": "maildir", "maildir": str(tmp_path / "outbox")},
    )
    added = process.cli("operator", "add", "olga@example.com", "--name", "Olga", "--no-email")
    assert added.returncode == 0, added.stderr
    process.password = added.stdout.rsplit("password: ", 1)[1].strip()  # type: ignore[attr-defined]
    process.start()
    yield process
    process.stop()


def new_token(desk: RelaydeskProcess, *args: str) -> str:
    created = desk.cli("token", "create", *args)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[-1]


def test_a_token_from_the_command_line_runs_the_desk(desk: RelaydeskProcess) -> None:
    token = new_token(desk, "olga@example.com", "--name", "script")
    api = httpx.Client(base_url=desk.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    visitor = httpx.Client(base_url=desk.base_url, timeout=10)
    assert visitor.post("/api/widget/messages", json={"text": "Где мой заказ?"}).status_code == 201

    listed = api.get("/api/v1/conversations").json()
    assert [item["last_message"]["text"] for item in listed["items"]] == ["Где мой заказ?"]
    conversation_id = listed["items"][0]["id"]
    reply = api.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "Уже в пути."})
    assert reply.status_code == 201
    assert reply.json()["source"] == "api"
    assert api.post(f"/api/v1/conversations/{conversation_id}/close").json()["status"] == "closed"
    feed = visitor.get("/api/widget/messages").json()["messages"]
    assert [m["text"] for m in feed] == ["Где мой заказ?", "Уже в пути."]

    anonymous = httpx.get(f"{desk.base_url}/api/v1/conversations", timeout=10)
    assert anonymous.status_code == 401
    assert set(anonymous.json()) == {"error", "field"}

    # Bad input on the command line: one line, exit code 2.
    refused = desk.cli("token", "create", "nobody@example.com")
    assert refused.returncode == 2
    problem = refused.stderr.strip().splitlines()[-1]  # after the migration's log lines
    assert problem == "relaydesk: there is no active operator nobody@example.com"
    long_name = desk.cli("token", "create", "olga@example.com", "--name", "x" * 101)
    assert long_name.returncode == 2
    assert "--name" in long_name.stderr


def test_a_token_revoked_on_the_profile_page_fails_on_the_next_request(desk: RelaydeskProcess) -> None:
    token = new_token(desk, "olga@example.com")
    api = httpx.Client(base_url=desk.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert api.get("/api/v1/operators").status_code == 200

    browser = httpx.Client(base_url=desk.base_url, timeout=10)
    csrf = _CSRF.findall(browser.get("/login").text)[0]
    password: str = desk.password  # type: ignore[attr-defined]
    logged_in = browser.post("/login", data={"email": "olga@example.com", "password": password, "csrf": csrf})
    assert logged_in.status_code == 303
    profile = browser.get("/inbox/profile").text
    token_id = re.findall(r'data-token-id="(\d+)"', profile)[0]
    revoked = browser.post(
        f"/inbox/profile/tokens/{token_id}/revoke", data={"csrf": _CSRF.findall(profile)[0]}
    )
    assert revoked.status_code == 303

    assert api.get("/api/v1/operators").status_code == 401
