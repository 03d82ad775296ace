"""DKIM and retry settings: a key that cannot sign is a config error naming the key, and nothing starts."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bridge.settings import SettingsError
from tests.conftest import make_settings
from tests.support.dkim_keys import make_key

REPO = Path(__file__).resolve().parents[2]


def problems(tmp_path: Path, **outbound: str) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        make_settings(tmp_path, "sqlite:///x.db", outbound=outbound)
    return caught.value.problems


def test_a_key_file_that_is_not_a_key_is_named(tmp_path: Path) -> None:
    (tmp_path / "dkim.pem").write_text("hello\n")
    [problem] = problems(tmp_path, dkim_selector="rd", dkim_key_file="dkim.pem")
    assert problem.startswith("[outbound].dkim_key_file: ")
    assert "dkim.pem" in problem


def test_a_missing_key_file_is_named(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, dkim_selector="rd", dkim_key_file="nowhere.pem")
    assert problem.startswith("[outbound].dkim_key_file: cannot read ")


def test_a_selector_without_a_key_and_a_key_without_a_selector(tmp_path: Path) -> None:
    assert problems(tmp_path, dkim_selector="rd") == [
        "[outbound].dkim_key_file: is required when dkim_selector is set"
    ]
    make_key(tmp_path).write(tmp_path / "k.pem")
    assert problems(tmp_path, dkim_key_file="k.pem") == [
        "[outbound].dkim_selector: is required when dkim_key_file is set"
    ]


def test_a_good_key_and_the_first_retry_wait_load(tmp_path: Path) -> None:
    make_key(tmp_path).write(tmp_path / "k.pem")
    settings = make_settings(
        tmp_path,
        "sqlite:///x.db",
        outbound={"dkim_selector": "rd", "dkim_key_file": "k.pem", "retry_first": "1s"},
    )
    assert settings.outbound.retry_first == timedelta(seconds=1)
    assert make_settings(tmp_path, "sqlite:///x.db").outbound.retry_first == timedelta(seconds=30)
    assert problems(tmp_path, retry_first="0s") == ["[outbound].retry_first: must be longer than 0s"]


def test_the_command_exits_2_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "dkim.pem").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    config = tmp_path / "config.toml"
    config.write_text(
        '[site]\nsecret_key = "k-0123456789abcdefghijklmnopqrstuvwxyz"\n[database]\nurl = "sqlite:///var/x.db"\n'
        '[outbound]\ndkim_selector = "rd"\ndkim_key_file = "dkim.pem"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bridge", "--config", str(config), "migrate"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("relaydesk: [outbound].dkim_key_file: ")
    assert not (tmp_path / "var" / "x.db").exists()
