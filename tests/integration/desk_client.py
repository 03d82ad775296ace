"""A running `relaydesk serve` with one operator, and a browser-like HTTP client for its pages."""

from __future__ import annotations

import re
import smtplib
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.process import RelaydeskProcess

SUPPORT = "support@example.com"
OPERATOR = "olga@example.com"
SECRET = "hardening-tests-secret-key-0123456789abcdef"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_PASSWORD = re.compile(r"password: (\S+)$")


def start_desk(
    tmp_path: Path, db_url: str, relay_port: int, **overrides: dict[str, Any]
) -> tuple[RelaydeskProcess, str]:
    """The desk, started, and the password of its operator."""
    desk = RelaydeskProcess(tmp_path, db_url, relay_port, site={"secret_key": SECRET}, **overrides)
    added = desk.cli("operator", "add", OPERATOR, "--name", "Olga", "--no-email")
    assert added.returncode == 0, added.stderr
    found = _PASSWORD.search(added.stdout.strip())
    assert found, added.stdout
    desk.start()
    return desk, found.group(1)


def browser(desk: RelaydeskProcess) -> httpx.Client:
    return httpx.Client(base_url=desk.base_url, follow_redirects=False, timeout=60)


def csrf_of(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    found = _CSRF.search(page.text)
    assert found, f"no CSRF field on {path}: {page.status_code}"
    return found.group(1)


def log_in(client: httpx.Client, password: str, email: str = OPERATOR) -> httpx.Response:
    token = csrf_of(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf": token})


def send_mail(desk: RelaydeskProcess, raw: bytes, sender: str = "anna@example.org") -> None:
    with smtplib.SMTP("127.0.0.1", desk.smtp_port, timeout=60) as smtp:
        smtp.sendmail(sender, [SUPPORT], raw)


def plain_mail(text: str, subject: str = "Hello", sender: str = "anna@example.org") -> bytes:
    return (
        f"From: Anna <{sender}>\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{time.time_ns()}@example.org>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{text}\r\n"
    ).encode()
