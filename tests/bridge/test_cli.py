"""The `relaydesk` command: init, operator add, export, --help; bad input is one line and exit code 2."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bridge.cli import main
from bridge.db import make_engine
from chatcore.models import Operator, Source
from chatcore.services import Desk, NewMessage
from tests.support.clock import ManualClock
from tests.support.factories import add_contact, add_operator
from webui.auth import verify_password


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def operators_in(config: Path) -> list[Operator]:
    settings = tomllib.loads(config.read_text(encoding="utf-8"))
    url = settings["database"]["url"]
    engine = make_engine(url, str(config.parent))
    try:
        with Session(engine) as session:
            return list(session.exec(select(Operator).order_by(Operator.id)))
    finally:
        engine.dispose()


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Path:
    """A config on the test database (SQLite, or PostgreSQL when configured)."""
    path = tmp_path / "config.toml"
    path.write_text(
        f'[site]\nsecret_key = "k-0123456789abcdefghijklmnopqrstuvwxyz"\n'
        f'[database]\nurl = "{db_url}"\n[outbound]\nmaildir = "out"\n',
        encoding="utf-8",
    )
    return path


def test_init_writes_a_config_creates_the_database_and_the_first_admin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "site" / "config.toml"
    code, out, err = run(capsys, "--config", str(config), "init")

    assert (code, err) == (0, "")
    assert config.stat().st_mode & 0o777 == 0o600
    secret = tomllib.loads(config.read_text(encoding="utf-8"))["site"]["secret_key"]
    assert secret != "change-me"
    assert len(secret) >= 32
    assert (tmp_path / "site" / "var" / "relaydesk.db").exists()
    login = re.search(r"first admin: (\S+) / (\S+)", out)
    assert login is not None
    [admin] = operators_in(config)
    assert (admin.email, admin.role) == (login.group(1), "admin")
    assert verify_password(admin.password_hash, login.group(2))
    assert "http://127.0.0.1:8000/inbox" in out


def test_two_inits_get_different_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secrets = set()
    for name in ("one", "two"):
        config = tmp_path / name / "config.toml"
        assert run(capsys, "--config", str(config), "init")[0] == 0
        secrets.add(tomllib.loads(config.read_text(encoding="utf-8"))["site"]["secret_key"])
    assert len(secrets) == 2


def test_init_refuses_to_overwrite_and_if_missing_keeps_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    assert run(capsys, "--config", str(config), "init")[0] == 0
    written = config.read_text(encoding="utf-8")

    code, _, err = run(capsys, "--config", str(config), "init")
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "--if-missing" in err

    code, out, err = run(capsys, "--config", str(config), "init", "--if-missing")
    assert (code, err) == (0, "")
    assert config.read_text(encoding="utf-8") == written
    assert "first admin" not in out
    assert len(operators_in(config)) == 1


def test_operator_add_no_email_prints_a_working_password(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ["operator", "add", "Olga@Example.com", "--name", "Ольга", "--no-email"]
    code, out, err = run(capsys, "--config", str(config), *add)
    assert (code, err) == (0, "")
    password = out.strip().rsplit(" ", 1)[-1]
    [olga] = operators_in(config)
    assert (olga.email, olga.name, olga.role) == ("olga@example.com", "Ольга", "operator")
    assert verify_password(olga.password_hash, password)

    assert run(capsys, "--config", str(config), "operator", "add", "boss@example.com", "--admin")[0] == 0
    assert [o.role for o in operators_in(config)] == ["operator", "admin"]


@pytest.mark.parametrize("email", ["not-an-email", "a b@example.com", "<x@y>", "x@y,z@w", ""])
def test_operator_add_with_a_bad_email_is_one_line_and_exit_2(
    config: Path, capsys: pytest.CaptureFixture[str], email: str
) -> None:
    code, out, err = run(capsys, "--config", str(config), "operator", "add", email)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "is not an email address" in err


def test_operator_add_twice_is_one_line_and_exit_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--config", str(config), "operator", "add", "olga@example.com")[0] == 0
    code, _, err = run(capsys, "--config", str(config), "operator", "add", "olga@example.com")
    assert code == 2
    assert err.splitlines() == ["relaydesk: operator olga@example.com exists already"]


def seed_conversation(engine: Engine, clock: ManualClock) -> None:
    with Session(engine) as session:
        now = clock.now()
        olga = add_operator(session, "olga@example.com", now=now, name="Olga")
        contact = add_contact(session, now=now, name="Анна", email="anna@example.org")
        desk = Desk(session, now)
        conversation, _ = desk.start_conversation(contact, Source.CHAT, "Заказ")
        desk.post_visitor_message(conversation, NewMessage(text="Где мой заказ?"))
        clock.advance(minutes=1)
        desk = Desk(session, clock.now())
        desk.post_note(conversation, olga, NewMessage(text="VIP"))
        desk.post_operator_message(conversation, olga, NewMessage(text="Едет к вам", source=Source.EMAIL))
        desk.tag(conversation, "доставка")
        desk.tag(conversation, "vip")
        desk.close(conversation, olga)
        other = add_contact(session, now=now, email="bob@example.net")
        desk.start_conversation(other, Source.EMAIL, "Empty")
        session.commit()


def test_export_prints_one_json_line_per_conversation(
    config: Path, engine: Engine, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_conversation(engine, clock)
    code, out, err = run(capsys, "--config", str(config), "export")
    assert (code, err) == (0, "")

    first, second = (json.loads(line) for line in out.splitlines())
    assert first["contact"] == {"name": "Анна", "email": "anna@example.org", "phone": ""}
    assert (first["status"], first["channel"], first["subject"]) == ("closed", "chat", "Заказ")
    assert first["tags"] == ["vip", "доставка"]
    assert [
        (m["author_kind"], m["operator_email"], m["text"], m["is_note"], m["source"])
        for m in first["messages"]
    ] == [
        ("visitor", None, "Где мой заказ?", False, "chat"),
        ("operator", "olga@example.com", "VIP", True, "chat"),
        ("operator", "olga@example.com", "Едет к вам", False, "email"),
    ]
    assert [m["created_at"] for m in first["messages"]] == [
        "2026-11-23T10:00:00+00:00",
        "2026-11-23T10:01:00+00:00",
        "2026-11-23T10:01:00+00:00",
    ]
    assert (second["contact"]["email"], second["status"], second["messages"]) == (
        "bob@example.net",
        "open",
        [],
    )


def test_export_of_an_empty_desk_prints_nothing(
    config: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "--config", str(config), "export") == (0, "", "")


@pytest.mark.parametrize(
    "command", [[], ["init"], ["serve"], ["migrate"], ["operator"], ["operator", "add"], ["export"]]
)
def test_help_works_on_each_command(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert out.startswith("usage: relaydesk")
    assert "--help" in out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "usage: relaydesk" in capsys.readouterr().err


def test_autoreply_explain_speaks_the_language_asked_for_and_refuses_a_bad_time(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rule = '[[autoreply]]\nname = "night"\nwhen = "outside_hours"\ntrigger = "new_conversation"\ntext = "x"\n'
    config.write_text(
        config.read_text(encoding="utf-8") + '[hours]\ntimezone = "UTC"\n' + rule, encoding="utf-8"
    )
    explain = ["--config", str(config), "autoreply", "explain", "--at", "2026-12-31 21:30", "--new"]
    code, out, _ = run(capsys, *explain, "--language", "ru")
    assert code == 0
    assert out.splitlines()[-2:] == [
        "night: отвечает (в нерабочее время, канал: чат, новый диалог)",
        "Ответ: правило «night».",
    ]
    code, out, err = run(capsys, *explain[:-3], "--at", "tomorrow")
    assert (code, out, err.strip()) == (
        2,
        "",
        'relaydesk: --at: "tomorrow" is not a time like "2026-12-31 15:30"',
    )
