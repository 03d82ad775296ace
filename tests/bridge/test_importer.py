"""`relaydesk import`: .eml, mbox and Maildir into conversations; once only; bad paths exit 2."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, func, select

from bridge.app import build_context
from bridge.cli import main
from bridge.db import make_engine, migrate
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from bridge.settings import load_settings
from bridge.tokens import Party, Token, TokenCodec
from chatcore.models import AutoreplyLog, Job, OutboxMail, SpoolItem
from tests.support.clock import ManualClock
from tests.support.factories import add_operator


def mail(message_id: str, subject: str, body: str, date: str, **headers: str) -> bytes:
    lines = [
        "From: Vera <vera@example.net>",
        "To: support@example.com",
        f"Subject: {subject}",
        f"Date: {date}",
        f"Message-ID: <{message_id}>",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode()


ORIGINAL = mail("first@example.net", "Заказ 42", "Где мой заказ?", "Mon, 02 Mar 2026 09:00:00 +0300")
REPLY = mail(
    "second@example.net",
    "Re: Заказ 42",
    "Прошла неделя, заказа нет.",
    "Mon, 09 Mar 2026 09:00:00 +0300",
    In_Reply_To="<first@example.net>",
)
OTHER = mail("third@example.net", "Invoice", "Where is my invoice?", "Tue, 10 Mar 2026 10:00:00 +0000")


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[site]\nsecret_key = "k-0123456789abcdefghijklmnopqrstuvwxyz"\n[database]\nurl = "{db_url}"\n'
        f'[mail]\naddress = "support@example.com"\n[outbound]\nmaildir = "out"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def sources(tmp_path: Path) -> list[Path]:
    """The reply is in the Maildir, which is named first; its original is in the mbox."""
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    maildir.add(REPLY)
    mbox = mailbox.mbox(tmp_path / "archive.mbox", create=True)
    mbox.add(ORIGINAL)
    mbox.flush()
    eml = tmp_path / "invoice.eml"
    eml.write_bytes(OTHER)
    return [tmp_path / "Maildir", tmp_path / "archive.mbox", eml]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def export(capsys: pytest.CaptureFixture[str], config: Path) -> list[dict[str, Any]]:
    code, out, _ = run(capsys, "--config", str(config), "export")
    assert code == 0
    return [json.loads(line) for line in out.splitlines()]


def test_import_threads_replies_and_runs_once(
    config: Path, sources: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--config", str(config), "import", *map(str, sources))
    assert code == 0, err
    assert out.strip() == "imported 3, already there 0, quarantined 0"
    assert "read 3/3" in err, "stderr is not a terminal: a plain count line"

    conversations = export(capsys, config)
    by_subject = {c["subject"]: [m["text"] for m in c["messages"]] for c in conversations}
    assert by_subject == {
        "Заказ 42": ["Где мой заказ?", "Прошла неделя, заказа нет."],
        "Invoice": ["Where is my invoice?"],
    }
    # History keeps the time each mail was written, not the time of the import.
    dates = {c["subject"]: (c["created_at"], [m["created_at"] for m in c["messages"]]) for c in conversations}
    assert dates["Заказ 42"] == (
        "2026-03-02T06:00:00+00:00",
        ["2026-03-02T06:00:00+00:00", "2026-03-09T06:00:00+00:00"],
    )

    code, out, _ = run(capsys, "--config", str(config), "import", *map(str, sources))
    assert code == 0
    assert out.strip() == "imported 0, already there 3, quarantined 0"
    assert export(capsys, config) == conversations


def test_import_counts_quarantined_mail(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.eml"
    broken.write_bytes(b"X-Noise: 1\r\n" * 1001 + OTHER)  # more headers than the parser allows
    code, out, err = run(capsys, "--config", str(config), "import", str(broken))
    assert code == 0, err
    assert out.strip() == "imported 1, already there 0, quarantined 1"


@pytest.mark.parametrize("name", ["missing.mbox", "notes.txt", "folder"])
def test_a_path_that_is_not_mail_is_one_line_and_exit_2(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (tmp_path / "notes.txt").write_text("hello, this is not a mail\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    good = tmp_path / "ok.eml"
    good.write_bytes(OTHER)
    bad = tmp_path / name
    code, out, err = run(capsys, "--config", str(config), "import", str(good), str(bad))
    assert code == 2
    assert err == f"relaydesk: {bad}: not an .eml file, mbox or Maildir\n"
    assert out == ""
    assert run(capsys, "--config", str(config), "migrate")[0] == 0
    assert export(capsys, config) == [], "nothing is imported when one path is wrong"


ALWAYS_ANSWER = """
[[autoreply]]
name = "ack"
when = "always"
channels = ["chat", "email"]
trigger = "new_conversation"
text = "We got your mail."
"""


def thread(tag: str, sender: str, subjects: list[tuple[str, str]], day: int) -> list[bytes]:
    """An original and its replies, a day apart each, from `sender`."""
    mails = []
    for number, (subject, body) in enumerate(subjects):
        headers = {"In_Reply_To": f"<{tag}-{number - 1}@example.net>"} if number else {}
        date = f"{day + number:02d} Mar 2026 09:00:00 +0300"
        raw = mail(f"{tag}-{number}@example.net", subject, body, f"Mon, {date}", **headers)
        mails.append(sent_by(sender, raw))
    return mails


def sent_by(sender: str, raw: bytes) -> bytes:
    return raw.replace(b"Vera <vera@example.net>", sender.encode())


def rows(engine: Engine, model: type[SQLModel]) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_import_is_quiet_no_notification_autoreply_or_email(
    config: Path, tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config.write_text(config.read_text(encoding="utf-8") + ALWAYS_ANSWER, encoding="utf-8")
    engine = make_engine(db_url, str(tmp_path))
    migrate(engine)
    with Session(engine) as session:
        add_operator(session, "olga@example.com", now=ManualClock().now(), name="Olga")
        session.commit()
    codec = TokenCodec(["k-0123456789abcdefghijklmnopqrstuvwxyz"])
    olga = codec.reply_address("support@example.com", Token(Party.OPERATOR, 1, 1))
    box = mailbox.mbox(tmp_path / "history.mbox", create=True)
    late = "Mon, 20 Mar 2026 09:00:00 +0300"
    for raw in [
        *thread("vera", "Vera <vera@example.net>", [("Заказ", "Где заказ?"), ("Re: Заказ", "Ну где?")], 2),
        *thread("tom", "Tom <tom@example.org>", [("Invoice", "Please"), ("Re: Invoice", "Thanks")], 3),
        *thread("ann", "Ann <ann@example.org>", [("Hi", "One"), ("Re: Hi", "Two"), ("Re: Hi", "Three")], 4),
        # in the old mail, a bad command from Olga and a forged reply to her address: both refused
        sent_by("Olga <olga@example.com>", mail("c@example.com", "Re", "#frobnicate\nDone", late, To=olga)),
        sent_by("Mallory <mallory@example.net>", mail("f@example.net", "Re", "Refund!", late, To=olga)),
    ]:
        box.add(raw)
    box.flush()

    code, out, err = run(capsys, "--config", str(config), "import", str(tmp_path / "history.mbox"))
    assert code == 0, err
    assert out.strip() == "imported 9, already there 0, quarantined 1"
    conversations = export(capsys, config)
    assert [[m["text"] for m in c["messages"]] for c in conversations] == [
        ["Где заказ?", "Ну где?"],
        ["Please", "Thanks"],
        ["One", "Two", "Three"],
    ]
    assert (rows(engine, OutboxMail), rows(engine, Job), rows(engine, AutoreplyLog)) == (0, 0, 0)

    code, out, _ = run(capsys, "--config", str(config), "import", str(tmp_path / "history.mbox"))
    assert out.strip() == "imported 0, already there 9, quarantined 0"
    assert (rows(engine, OutboxMail), rows(engine, Job), rows(engine, AutoreplyLog)) == (0, 0, 0)
    assert rows(engine, SpoolItem) == 9

    # The same kind of mail arriving now is not history: Olga hears of it and Zoe gets the autoreply.
    context = build_context(load_settings(config), engine=engine)
    assert store_raw(context, "smtp:live", OTHER.replace(b"vera@", b"zoe@"), "zoe@example.net", [])
    process_pending(context)
    assert (rows(engine, OutboxMail), rows(engine, Job), rows(engine, AutoreplyLog)) == (1, 1, 1)
    engine.dispose()
