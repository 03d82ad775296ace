"""config.toml → Settings: defaults, and every problem as one line that names its key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bridge.cli import EXAMPLE_CONFIG, main
from bridge.settings import Settings, SettingsError, load_settings, settings_from_mapping

KEY = "k-0123456789abcdefghijklmnopqrstuvwxyz"  # 32+ bytes: shorter keys are refused
OLD_KEY = "old-0123456789abcdefghijklmnopqrstuvwxyz"


def problems_of(raw: dict[str, Any], env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping(raw, env or {})
    problems = caught.value.problems
    for problem in problems:
        assert "\n" not in problem, problem
        assert "\r" not in problem, problem
    return problems


def with_secret(**sections: Any) -> dict[str, Any]:
    return {"site": {"secret_key": KEY}, **sections}


def test_defaults_need_only_a_secret() -> None:
    settings = settings_from_mapping({"site": {"secret_key": KEY}}, {})
    assert settings.site.language == "en"
    assert settings.web.host == "127.0.0.1"
    assert settings.web.port == 8000
    assert settings.database.url == "sqlite:///var/relaydesk.db"
    assert settings.mail.address == "support@example.com"
    assert settings.inbound.smtp.enabled
    assert settings.inbound.smtp.port == 2525
    assert settings.inbound.smtp.max_message_size == 25 * 1024 * 1024
    assert settings.inbound.imap == ()
    assert settings.outbound.transport == "maildir"
    assert settings.outbound.retry_for == timedelta(days=2)
    assert settings.notifications.operator_email_delay == timedelta(minutes=2)
    assert settings.notifications.visitor_email_delay == timedelta(minutes=5)
    assert settings.widget.mode == "visible"
    assert settings.uploads.max_file_size == 2 * 1024 * 1024
    assert settings.uploads.max_avatar_size == 1024 * 1024
    assert settings.uploads.email_attach_max == 512 * 1024


def test_the_shipped_example_config_is_valid_and_matches_the_defaults(tmp_path: Path) -> None:
    copy = tmp_path / "config.toml"
    copy.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8").replace('"change-me"', f'"{KEY}"'))
    settings = load_settings(copy, {})
    defaults = settings_from_mapping({"site": {"secret_key": settings.site.secret_key}}, {})
    assert settings.model_dump(exclude={"base_dir"}) == defaults.model_dump(exclude={"base_dir"})


def test_values_are_read_and_converted() -> None:
    settings = settings_from_mapping(
        with_secret(
            mail={"address": "Help@Example.ORG", "from_name": "Поддержка"},
            notifications={"operator_email_delay": "90s", "visitor_email_delay": "1h"},
            uploads={"max_file_size": "512KB"},
            inbound={"imap": [{"host": "imap.example.org", "username": "help", "poll_interval": "30s"}]},
        ),
        {},
    )
    assert settings.mail.address == "help@example.org"
    assert (settings.mail.local_part, settings.mail.domain) == ("help", "example.org")
    assert settings.notifications.operator_email_delay == timedelta(seconds=90)
    assert settings.notifications.visitor_email_delay == timedelta(hours=1)
    assert settings.uploads.max_file_size == 512 * 1024
    [account] = settings.inbound.imap
    assert account.name == "help"
    assert account.poll_interval == timedelta(seconds=30)


def test_settings_are_frozen() -> None:
    settings = settings_from_mapping(with_secret(), {})
    with pytest.raises(ValidationError):
        settings.web.port = 9000  # type: ignore[misc]


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "config.toml"
    config.parent.mkdir()
    config.write_text('[site]\nsecret_key = "k-0123456789abcdefghijklmnopqrstuvwxyz"\n', encoding="utf-8")
    settings = load_settings(config, {})
    assert settings.path(settings.outbound.maildir) == config.parent / "var" / "outbox-maildir"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (with_secret(outbound={"port": "abc"}), '[outbound].port: must be 1–65535, got "abc"'),
        (with_secret(outbound={"port": 0}), "[outbound].port: must be 1–65535, got 0"),
        (with_secret(web={"port": 70000}), "[web].port: must be 1–65535, got 70000"),
        (with_secret(outbound={"prot": 25}), "[outbound].prot: unknown key"),
        (with_secret(inbound={"smtp": {"prot": 25}}), "[inbound.smtp].prot: unknown key"),
        (
            with_secret(inbound={"imap": [{"host": "h", "username": "u", "fodler": "INBOX"}]}),
            "[[inbound.imap]][0].fodler: unknown key",
        ),
        (with_secret(inbound={"imap": [{"host": "h"}]}), "[[inbound.imap]][0].username: is required"),
        (with_secret(site={"secret_key": KEY, "language": "de"}), "[site].language: must be one of"),
        (with_secret(widget={"mode": "loud"}), "[widget].mode: must be one of"),
        (
            with_secret(notifications={"operator_email_delay": "5 minutes"}),
            '[notifications].operator_email_delay: is not a duration like "90s"',
        ),
        (with_secret(outbound={"retry_for": "2 days"}), "[outbound].retry_for: is not a duration"),
        (
            with_secret(uploads={"max_file_size": "2 parsecs"}),
            '[uploads].max_file_size: is not a size like "512KB"',
        ),
        (
            with_secret(inbound={"smtp": {"max_message_size": "huge"}}),
            "[inbound.smtp].max_message_size: is not a size",
        ),
        (
            with_secret(mail={"address": "not an address"}),
            '[mail].address: must be a plain address like "support@example.com", got "not an address"',
        ),
        (with_secret(mail={"address": "support+x@example.com"}), "[mail].address: must be a plain address"),
        (with_secret(mail={"address": "Support <s@example.com>"}), "[mail].address: must be a plain address"),
        ({"site": {}}, "[site].secret_key: is empty; set it or secret_key_env"),
    ],
)
def test_each_problem_is_one_line_naming_the_key(raw: dict[str, Any], expected: str) -> None:
    problems = problems_of(raw)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_unknown_section_is_named() -> None:
    [problem] = problems_of(with_secret(outbund={"port": 25}))
    assert problem == "[outbund]: unknown section"


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(
        with_secret(outbound={"port": "abc", "timeout": "forever"}, web={"port": -1}, widget={"mode": "?"})
    )
    keys = sorted(problem.split(":", 1)[0] for problem in problems)
    assert keys == ["[outbound].port", "[outbound].timeout", "[web].port", "[widget].mode"]


@pytest.mark.parametrize(
    "raw",
    [
        with_secret(mail={"address": "a@b.example\nBcc: x@y"}),
        with_secret(outbound={"port": "25\n26"}),
        with_secret(outbound={"transport": "smtp\r\nmaildir"}),
    ],
)
def test_a_value_with_a_line_break_still_gives_one_line(raw: dict[str, Any]) -> None:
    assert len(problems_of(raw)) == 1


def test_secret_from_the_environment() -> None:
    settings = settings_from_mapping({"site": {"secret_key_env": "RD_SECRET"}}, {"RD_SECRET": KEY})
    assert settings.site.secret_key == KEY


def test_previous_keys_follow_the_signing_key() -> None:
    settings = settings_from_mapping({"site": {"secret_key": KEY, "previous_secret_keys": [OLD_KEY]}}, {})
    assert settings.site.secret_keys == (KEY, OLD_KEY)


def test_missing_environment_variable_is_named() -> None:
    problems = problems_of({"site": {"secret_key_env": "RD_SECRET"}})
    assert "[site].secret_key_env: the environment variable RD_SECRET is not set" in problems


def test_missing_password_variable_for_imap_is_named() -> None:
    problems = problems_of(
        with_secret(inbound={"imap": [{"host": "h", "username": "u", "password_env": "IMAP_PW"}]})
    )
    assert problems == ["[[inbound.imap]][0].password_env: the environment variable IMAP_PW is not set"]


def test_password_from_the_environment() -> None:
    settings = settings_from_mapping(
        with_secret(
            outbound={"password_env": "SMTP_PW"},
            inbound={"imap": [{"host": "h", "username": "u", "password_env": "IMAP_PW"}]},
        ),
        {"SMTP_PW": "s3cret", "IMAP_PW": "пароль"},
    )
    assert settings.outbound.password == "s3cret"
    assert settings.inbound.imap[0].password == "пароль"


def test_missing_file_and_bad_toml_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as missing:
        load_settings(tmp_path / "nope.toml", {})
    assert missing.value.problems == [
        f"{tmp_path / 'nope.toml'}: no such file; run `relaydesk init` to write one"
    ]

    broken = tmp_path / "broken.toml"
    broken.write_text("[site\nsecret_key = 'k-0123456789abcdefghijklmnopqrstuvwxyz'\n", encoding="utf-8")
    with pytest.raises(SettingsError) as bad:
        load_settings(broken, {})
    [problem] = bad.value.problems
    assert problem.startswith(f"{broken}: not valid TOML")
    assert "\n" not in problem


def test_cli_prints_one_line_per_problem_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[site]\nsecret_key = "{KEY}"\n'
        '[outbound]\nport = "abc"\n[notifications]\noperator_email_delay = "soon"\n'
        '[mail]\naddress = "nobody"\n',
        encoding="utf-8",
    )
    code = main(["--config", str(config), "migrate"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == [
        'relaydesk: [mail].address: must be a plain address like "support@example.com", got "nobody"',
        'relaydesk: [outbound].port: must be 1–65535, got "abc"',
        "relaydesk: [notifications].operator_email_delay: is not a duration like "
        '"90s", "5m", "12h" or "2d", got \'soon\'',
    ]
    assert not (tmp_path / "var").exists(), "nothing may be created from a bad config"


def test_cli_names_a_missing_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(tmp_path / "absent.toml"), "export"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "absent.toml: no such file" in line


def test_settings_type_is_what_build_uses() -> None:
    assert isinstance(settings_from_mapping(with_secret(), {}), Settings)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (with_secret(web={"port": True}), "[web].port: must be 1–65535, got True"),
        (
            with_secret(inbound={"smtp": {"lmtp": "yes"}}),
            "[inbound.smtp].lmtp: input should be a valid boolean",
        ),
    ],
)
def test_settings_are_taken_literally(raw: dict[str, Any], expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping(raw, {})
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(expected)


def test_missing_secret_variable_is_one_line() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping({"site": {"secret_key_env": "RELAYDESK_NOPE"}}, {})
    assert caught.value.problems == [
        "[site].secret_key_env: the environment variable RELAYDESK_NOPE is not set"
    ]
