"""`relaydesk operator add` queues an invitation: login, a set-password link, the profile; en and ru."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bridge.app import build_context
from bridge.cli import main
from bridge.db import make_engine
from bridge.settings import load_settings
from bridge.tokens import TokenCodec
from chatcore.models import Operator, OutboxMail
from webui.password_links import operator_for


def run(capsys: pytest.CaptureFixture[str], config: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--config", str(config), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def site(tmp_path: Path, db_url: str) -> Path:
    return write_config(tmp_path, db_url, "en")


def write_config(directory: Path, db_url: str, language: str) -> Path:
    path = directory / "config.toml"
    path.write_text(
        f'[site]\nname = "Acme Help"\nsecret_key = "k-0123456789abcdefghijklmnopqrstuvwxyz"\nbase_url = "https://help.acme.test/"\n'
        f'language = "{language}"\n[database]\nurl = "{db_url}"\n[outbound]\nmaildir = "out"\n',
        encoding="utf-8",
    )
    return path


def queued(config: Path) -> list[tuple[OutboxMail, EmailMessage]]:
    engine = make_engine(load_settings(config).database.url, str(config.parent))
    try:
        with Session(engine) as session:
            rows = session.exec(select(OutboxMail).order_by(col(OutboxMail.id))).all()
            found = []
            for row in rows:
                parsed = message_from_bytes(row.raw, policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                found.append((row, parsed))
            return found
    finally:
        engine.dispose()


def text_of(mail: EmailMessage, subtype: str = "plain") -> str:
    part = mail.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


def link_in(text: str, prefix: str) -> str:
    return next(word for word in text.split() if word.startswith(prefix))


def operator_of_link(config: Path, link: str) -> Operator | None:
    context = build_context(load_settings(config))
    try:
        with Session(context.engine) as session:
            token = link.rsplit("/", 1)[1]
            return operator_for(session, context.settings.site.secret_key, token, context.clock.now())
    finally:
        context.engine.dispose()


def test_operator_add_queues_an_invitation_with_the_login_and_the_links(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, site, "operator", "add", "Olga@Example.com", "--name", "Olga Petrova")

    assert (code, err) == (0, "")
    assert out == (
        "operator olga@example.com added; invitation queued to olga@example.com "
        "(set-password link valid for 72 hours)\n"
    )
    [(row, mail)] = queued(site)
    assert (row.kind, row.recipient, row.status, row.conversation_id) == (
        "operator_invitation",
        "olga@example.com",
        "pending",
        None,
    )
    assert str(mail["To"]) == "Olga Petrova <olga@example.com>"
    assert str(mail["Subject"]) == "Your operator account at Acme Help"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Reply-To"] is None
    assert TokenCodec(["k"]).from_message_ids([str(mail["Message-ID"])]) is None
    text = text_of(mail)
    assert "Hello, Olga Petrova!" in text
    assert "Your login: olga@example.com" in text
    assert "(the link works once, for 72 hours)" in text
    assert "https://help.acme.test/inbox/profile" in text.split()
    link = link_in(text, "https://help.acme.test/set-password/")
    html = text_of(mail, "html")
    assert f'href="{link}"' in html
    assert 'href="https://help.acme.test/inbox/profile"' in html
    invited = operator_of_link(site, link)
    assert invited is not None
    assert (invited.email, invited.password_hash) == ("olga@example.com", ""), "no password until chosen"


@pytest.mark.parametrize(
    ("site_language", "flag", "subject", "phrase"),
    [
        ("en", ["--language", "ru"], "Ваша учётная запись оператора в Acme Help", "действует 72 часа,"),
        ("ru", [], "Ваша учётная запись оператора в Acme Help", "Ваш логин: nina@example.com"),
        ("ru", ["--language", "en"], "Your operator account at Acme Help", "Your login: nina@example.com"),
    ],
)
def test_the_invitation_speaks_the_operators_language_else_the_sites(
    tmp_path: Path,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    site_language: str,
    flag: list[str],
    subject: str,
    phrase: str,
) -> None:
    config = write_config(tmp_path, db_url, site_language)
    assert run(capsys, config, "operator", "add", "nina@example.com", *flag)[0] == 0
    [(_, mail)] = queued(config)
    assert str(mail["Subject"]) == subject
    assert phrase in text_of(mail)


def test_no_email_keeps_the_printed_password_and_queues_nothing(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, site, "operator", "add", "olga@example.com", "--no-email")
    assert code == 0
    assert out.startswith("operator olga@example.com added; password: ")
    assert queued(site) == []


def test_operator_invite_sends_a_fresh_link(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, site, "operator", "add", "olga@example.com", "--no-email")[0] == 0
    code, out, err = run(capsys, site, "operator", "invite", "OLGA@example.com")
    assert (code, err) == (0, "")
    assert out == "invitation queued to olga@example.com (set-password link valid for 72 hours)\n"
    [(_, mail)] = queued(site)
    link = link_in(text_of(mail), "https://help.acme.test/set-password/")
    assert operator_of_link(site, link) is not None


def test_operator_invite_of_someone_unknown_is_one_line_and_exit_2(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, site, "operator", "invite", "ghost@example.com")
    assert (code, out) == (2, "")
    assert err.splitlines() == ["relaydesk: there is no active operator ghost@example.com"]
