"""`relaydesk import`: .eml, mbox and Maildir into conversations; once only; bad paths exit 2."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

import pytest

from bridge.cli import main


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
        f'[site]\nsecret_key = "k"\n[database]\nurl = "{db_url}"\n'
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


def export(capsys: pytest.CaptureFixture[str], config: Path) -> list[dict[str, object]]:
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
    by_subject = {c["subject"]: [m["text"] for m in c["messages"]] for c in conversations}  # type: ignore[union-attr]
    assert by_subject == {
        "Заказ 42": ["Где мой заказ?", "Прошла неделя, заказа нет."],
        "Invoice": ["Where is my invoice?"],
    }

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
