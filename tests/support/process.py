"""The real `relaydesk serve` process, started from a config the test writes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.support.dovecot import free_loopback_port

REPO = Path(__file__).resolve().parents[2]
SECRET_KEY = "integration-secret-0123456789abcdefghij"  # 32+ bytes: shorter keys are refused


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def write_config(path: Path, sections: dict[str, dict[str, Any]]) -> None:
    lines = []
    for name, table in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in table.items())
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


class RelaydeskProcess:
    def __init__(
        self, workdir: Path, database_url: str, relay_port: int, **overrides: dict[str, Any]
    ) -> None:
        self.workdir = workdir
        self.web_port = free_loopback_port()
        self.smtp_port = free_loopback_port()
        self.config = workdir / "config.toml"
        sections: dict[str, dict[str, Any]] = {
            "site": {
                "name": "Acme Help",
                "secret_key": SECRET_KEY,
                "base_url": "http://desk.test",
            },
            "web": {"host": "127.0.0.1", "port": self.web_port},
            "database": {"url": database_url},
            "mail": {"address": "support@example.com", "from_name": "Acme Support"},
            "inbound.smtp": {"host": "127.0.0.1", "port": self.smtp_port},
            "outbound": {"transport": "smtp", "host": "127.0.0.1", "port": relay_port},
            "notifications": {"operator_email_delay": "1s", "visitor_email_delay": "3s"},
        }
        for name, values in overrides.items():
            sections[name.replace("__", ".")] = {**sections.get(name.replace("__", "."), {}), **values}
        write_config(self.config, sections)
        self._process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "serve.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bridge", "--config", str(self.config), *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def start(self, *serve_args: str) -> RelaydeskProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        handle = self.log.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bridge", "--config", str(self.config), "serve", *serve_args],
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
        )
        if "--role" not in serve_args:
            self._wait_ready()
        return self

    def start_role(self, role: str) -> RelaydeskProcess:
        """`serve --role ROLE`, returning once the role is ready: web answers /healthz, mail accepts
        SMTP connections, worker has said it runs."""
        started_at = self.log.stat().st_size if self.log.exists() else 0
        self.start("--role", role)
        ready = {
            "web": self._answers_health,
            "mail": self._accepts_smtp,
            "worker": lambda: f"(role {role})" in self.log.read_text(errors="replace")[started_at:],
        }[role]
        self._wait_until(ready)
        return self

    # Starting takes ~2 s of CPU (imports, migrations); on a machine busy with parallel test workers
    # that can stretch past half a minute of wall time, so the wait for the ready marker is long.
    READY_TIMEOUT = 120.0

    def _wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        self._wait_until(self._answers_health, timeout)

    def _wait_until(self, ready: Callable[[], bool], timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise AssertionError(f"relaydesk serve exited:\n{self.log.read_text()}")
            if ready():
                return
            time.sleep(0.1)
        self.kill()  # the fixture that started it never reaches its teardown: do not leave it running
        raise AssertionError(f"relaydesk serve did not start:\n{self.log.read_text()}")

    def _answers_health(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def _accepts_smtp(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.smtp_port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self._process is None:
            return 0
        self._process.send_signal(sig)
        try:
            code = self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = self._process.wait()
        self._process = None
        return code

    def kill(self) -> None:
        """SIGKILL, as in a crash or a power cut: no handler runs, nothing is finished."""
        if self._process is None:
            return
        self._process.kill()
        self._process.wait(timeout=10)
        self._process = None
