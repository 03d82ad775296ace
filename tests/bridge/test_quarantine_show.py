"""`relaydesk quarantine show` explains a mail the pipeline refused, with mail-parser's MIME defects."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.app import build_context
from bridge.cli import main
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from bridge.quarantine import list_quarantined
from tests.conftest import make_settings


def too_deep_and_broken(depth: int) -> bytes:
    """Nested multiparts deeper than the parser allows, the innermost with a boundary never opened."""
    head = b"From: Bob <bob@example.net>\r\nTo: support@example.com\r\nSubject: Deep\r\nMIME-Version: 1.0\r\n"
    body = b'Content-Type: multipart/mixed; boundary="never"\r\n\r\nno parts here\r\n'
    for level in range(depth):
        boundary = f"b{level}".encode()
        body = (
            b"Content-Type: multipart/mixed; boundary=\"" + boundary + b"\"\r\n\r\n--" + boundary + b"\r\n"
            + body + b"--" + boundary + b"--\r\n"
        )  # fmt: skip
    return head + body


def test_show_gives_the_reason_and_the_mime_defects(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[site]\nsecret_key = "k-0123456789abcdefghijklmnopqrstuvwxyz"\n[database]\nurl = "{db_url}"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "migrate"]) == 0
    context = build_context(make_settings(tmp_path, db_url))
    store_raw(context, "deep", too_deep_and_broken(20), None, [])
    process_pending(context)
    [held] = list_quarantined(context)
    context.engine.dispose()
    capsys.readouterr()

    assert main(["--config", str(config), "quarantine", "show", str(held.id)]) == 0
    shown = capsys.readouterr().out
    assert "reason:   parse: " in shown
    assert "nest" in shown
    assert "defect:   multipart/mixed: StartBoundaryNotFoundDefect" in shown
    assert "Subject: Deep" in shown
