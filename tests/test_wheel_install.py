"""`pip install .` (not editable) into a fresh venv, then `relaydesk init` and `serve` from an empty folder:
the wheel carries its templates, catalogs, static files, migrations and example config.

Offline and quick: the fresh venv sees this test venv's site-packages through a .pth file, so the
dependencies (and setuptools, for the build) need no download; the .pth files in that folder (the
editable install's among them) are not processed, so the code that runs is the installed wheel's.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import site
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.dovecot import free_loopback_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SHIPPED = ("bridge", "chatcore", "inbound", "outbound", "webui", "templates")
PROJECT_FILES = ("config.toml", "setup.cfg", "pyproject.toml", "README.md")


@dataclass(frozen=True)
class Installed:
    venv: Path
    env: dict[str, str]

    @property
    def relaydesk(self) -> str:
        return str(self.venv / "bin" / "relaydesk")

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), cwd=cwd, env=self.env, capture_output=True, text=True, timeout=120, check=False
        )


def copy_source(target: Path) -> Path:
    """The files a build reads, without caches, build folders or the editable install's metadata."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in SHIPPED:
        shutil.copytree(REPO / name, target / name, ignore=ignore)
    for name in PROJECT_FILES:
        shutil.copy(REPO / name, target / name)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    [purelib] = venv.glob("lib/python3*/site-packages")
    (purelib / "test_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "PIP_"))}
    env |= {"PYTHONUNBUFFERED": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "VIRTUAL_ENV": str(venv)}
    made = Installed(venv, env)
    source = copy_source(base / "src")
    python = str(venv / "bin" / "python")
    install = made.run(
        python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", str(source),
        cwd=base,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return made


def test_the_installed_code_and_its_files_come_from_the_wheel(installed: Installed, tmp_path: Path) -> None:
    probe = (
        "import bridge, templates; from webui.shipped import shipped_dir; "
        "print(bridge.__file__); print(shipped_dir('templates')); print(shipped_dir('bridge.migrations'))"
    )
    found = installed.run(str(installed.venv / "bin" / "python"), "-c", probe, cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    locations = [Path(line) for line in found.stdout.split()]
    assert len(locations) == 3
    assert all(location.is_relative_to(installed.venv) for location in locations), locations


@pytest.fixture
def served(installed: Installed, tmp_path: Path) -> Iterator[str]:
    init = installed.run(installed.relaydesk, "init", cwd=tmp_path)
    assert init.returncode == 0, init.stdout + init.stderr
    assert "first admin: admin@example.com" in init.stdout
    config = tmp_path / "config.local.toml"
    web_port, smtp_port = free_loopback_port(), free_loopback_port()
    text = re.sub(r"^port = 8000$", f"port = {web_port}", config.read_text(), count=1, flags=re.M)
    config.write_text(re.sub(r"^port = 2525$", f"port = {smtp_port}", text, count=1, flags=re.M))
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [installed.relaydesk, "serve"], cwd=tmp_path, env=installed.env, stdout=log, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{web_port}"
    try:
        wait_for_health(base_url, process, tmp_path / "serve.log")
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_for_health(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"relaydesk serve exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"relaydesk serve did not start:\n{log.read_text(errors='replace')}")


def test_init_and_serve_from_an_empty_folder_show_the_translated_login_and_static_files(
    served: str,
) -> None:
    login = httpx.get(f"{served}/login", headers={"Accept-Language": "ru"}, timeout=10)
    assert login.status_code == 200
    assert "Войти" in login.text  # the Russian catalog shipped and was found

    script = httpx.get(f"{served}/widget.js", timeout=10)
    assert script.status_code == 200
    assert script.content == (REPO / "webui" / "static" / "widget.js").read_bytes()
