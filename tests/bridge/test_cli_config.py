"""Which config `relaydesk` reads without --config, and the keys it refuses to sign with."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session

from bridge.cli import main
from bridge.db import make_engine
from tests.support.clock import ManualClock
from tests.support.factories import add_operator
from webui.password_links import operator_for

KEY = "cli-0123456789abcdefghijklmnopqrstuvwxyz"
REPO = Path(__file__).resolve().parents[2]


def write(path: Path, database: str, key: str = KEY) -> Path:
    path.write_text(f'[site]\nsecret_key = "{key}"\n[database]\nurl = "sqlite:///{database}"\n', "utf-8")
    return path


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RELAYDESK_CONFIG", raising=False)
    return tmp_path


def test_the_config_is_the_environments_then_the_local_one_then_the_example(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(here / "config.toml", "example.db")
    assert main(["migrate"]) == 0
    assert (here / "example.db").exists()

    write(here / "config.local.toml", "local.db")
    assert main(["migrate"]) == 0
    assert (here / "local.db").exists()

    monkeypatch.setenv("RELAYDESK_CONFIG", str(write(here / "elsewhere.toml", "env.db")))
    assert main(["migrate"]) == 0
    assert (here / "env.db").exists()

    assert main(["--config", str(write(here / "given.toml", "given.db")), "migrate"]) == 0
    assert (here / "given.db").exists()


def test_init_without_a_config_writes_the_local_one_not_over_the_example(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "config.toml").write_text('[site]\nsecret_key = "change-me"\n', "utf-8")
    assert main(["init"]) == 0
    assert (here / "config.local.toml").exists()
    assert (here / "config.toml").read_text("utf-8") == '[site]\nsecret_key = "change-me"\n'
    out = capsys.readouterr().out
    assert "operator password EMAIL" in out, "init says how to get back in"


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("change-me", '[site].secret_key: "change-me" is the example\'s placeholder, not a secret;'),
        ("short-but-not-a-placeholder", "[site].secret_key: is 27 bytes; use at least 32 random bytes"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [["migrate"], ["operator", "add", "a@example.com", "--no-email"], ["operator", "password", "a@x.io"]],
)
def test_a_placeholder_or_short_key_is_refused_in_one_line(
    here: Path, capsys: pytest.CaptureFixture[str], key: str, says: str, command: list[str]
) -> None:
    write(here / "config.toml", "refused.db", key)
    assert main(command) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"relaydesk: {says}")
    assert not (here / "refused.db").exists(), "nothing was done with the weak key"


def test_serve_refuses_the_example_config(here: Path) -> None:
    config = write(here / "config.toml", "serve.db", "change-me")
    done = subprocess.run(
        [sys.executable, "-m", "bridge", "--config", str(config), "serve"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        'relaydesk: [site].secret_key: "change-me" is the example\'s placeholder, not a secret; '
        "run `relaydesk init` to write a config with a random key"
    ]


def test_operator_password_prints_a_set_password_link(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here / "config.local.toml", "desk.db")
    assert main(["migrate"]) == 0
    engine = make_engine("sqlite:///desk.db", str(here))
    clock = ManualClock()
    with Session(engine) as session:
        add_operator(session, "olga@example.com", now=clock.now())
        session.commit()
    capsys.readouterr()
    assert main(["operator", "password", "OLGA@example.com"]) == 0
    link = re.search(r"/set-password/(\S+)", capsys.readouterr().out)
    assert link is not None
    with Session(engine) as session:
        operator = operator_for(session, KEY, link.group(1), clock.now())
        assert operator is not None
        assert operator.email == "olga@example.com"
    assert main(["operator", "password", "nobody@example.com"]) == 2
    assert capsys.readouterr().err.strip() == "relaydesk: there is no active operator nobody@example.com"
    engine.dispose()
