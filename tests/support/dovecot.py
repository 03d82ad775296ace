"""A throwaway Dovecot for tests: its own temp dir, a free loopback port, passwd-file users, Maildir.

    with Dovecot() as server:
        server.add_user("support", "secret")
        uid = server.append("support", "INBOX", raw_bytes)
        client = server.client("support")          # a logged-in IMAPClient, for assertions

The master runs in the foreground as an unprivileged user (Dovecot's login processes refuse root),
in its own process group, so stopping it ends every child and drops every client connection.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from imapclient import IMAPClient

from tests.support.certs import self_signed

DOVECOT_BINARY = "/usr/sbin/dovecot"
DOVEADM_BINARY = "/usr/bin/doveadm"

_CONFIG = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_max_userip_connections = 200
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/users
  default_fields = uid={user} gid={group} home={dir}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


# Under pytest-xdist each worker hands out ports from its own slice below the kernel's ephemeral
# range (32768+), so two workers never pick the same port, and no client's outgoing connection takes
# a port between our probe and the server's bind. A random start and a bind probe step past ports
# held by anything else (another test run on the machine, a service).
_WORKER_PORTS_BASE = 20000
_WORKER_PORTS_SLICE = 1000
_WORKER_SLICES = 12  # 20000-31999
_next_worker_port: list[int] = []


def free_loopback_port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return _kernel_free_port()
    base = _WORKER_PORTS_BASE + (int(worker[2:]) % _WORKER_SLICES) * _WORKER_PORTS_SLICE
    if not _next_worker_port:
        _next_worker_port.append(random.randrange(_WORKER_PORTS_SLICE))
    for _ in range(_WORKER_PORTS_SLICE):
        port = base + _next_worker_port[0]
        _next_worker_port[0] = (_next_worker_port[0] + 1) % _WORKER_PORTS_SLICE
        if _port_is_free(port):
            return port
    return _kernel_free_port()


def _kernel_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Dovecot:
    """One Dovecot instance; start() / stop() / restart(), or use it as a context manager."""

    def __init__(
        self, run_as: str = "dvtest", extra_config: str = "", tls: bool = False, startup_timeout: float = 10.0
    ) -> None:
        """`extra_config` is appended to dovecot.conf, e.g. `imap_capability = IMAP4rev1 UIDPLUS`
        to play a server without IDLE or MOVE. `tls=True` makes a self-signed certificate for
        127.0.0.1 (`cert_path`, to trust in clients), offers STARTTLS on `port` and implicit TLS on
        `tls_port`."""
        self.run_as = run_as
        self.extra_config = extra_config
        self.tls = tls
        self.startup_timeout = startup_timeout
        self.host = "127.0.0.1"
        self.port = free_loopback_port()
        self.tls_port = free_loopback_port() if tls else 0
        self.dir = Path(tempfile.mkdtemp(prefix="relaydesk-dovecot-"))
        self._passwords: dict[str, str] = {}
        self._process: subprocess.Popen[bytes] | None = None
        account = pwd.getpwnam(run_as)
        self._uid, self._gid = account.pw_uid, account.pw_gid
        self._write_config()

    # -- lifecycle ---------------------------------------------------------------------------------

    def __enter__(self) -> Dovecot:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop(graceful=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        # After a crash stop the old master may linger as a zombie for a moment; Dovecot would take
        # its pid file for a running instance.
        (self.dir / "run" / "master.pid").unlink(missing_ok=True)
        self._process = subprocess.Popen(
            ["runuser", "-u", self.run_as, "--", DOVECOT_BINARY, "-F", "-c", str(self.config_path)],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait_until_greeting()

    def stop(self, graceful: bool = True) -> None:
        """Stop the server and all its children; every client connection is dropped.

        Graceful: the master gets SIGTERM and says BYE to clients. Otherwise everything is killed at
        once, as in a crash or a power cut: clients see the connection reset with no goodbye.
        """
        process, self._process = self._process, None
        if process is None:
            return
        if graceful:
            self._terminate_master(process)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        self._wait_until_group_gone(process.pid)
        if process.stderr is not None:
            process.stderr.close()

    def restart(self, graceful: bool = True) -> None:
        self.stop(graceful=graceful)
        self.start()

    # -- users and mail ----------------------------------------------------------------------------

    def add_user(self, name: str, password: str) -> None:
        """Add a mailbox; Dovecot re-reads the passwd-file on its next lookup, so no restart."""
        self._passwords[name] = password
        lines = "".join(f"{user}:{{PLAIN}}{secret}::::\n" for user, secret in self._passwords.items())
        self._write_owned(self.dir / "users", lines)

    def client(self, user: str, timeout: float = 10.0) -> IMAPClient:
        """A logged-in IMAPClient for `user`; the caller logs out (or uses it as a context manager)."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=timeout)
        client.login(user, self._passwords[user])
        return client

    def append(self, user: str, folder: str, raw: bytes, flags: tuple[bytes, ...] = ()) -> int:
        """Deliver `raw` into `folder` with a real IMAP APPEND as `user`; return the new message's UID."""
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, flags=flags)
        return _appended_uid(response)

    def uidvalidity(self, user: str, folder: str) -> int:
        with self.client(user) as client:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def bump_uidvalidity(self, user: str, folder: str) -> int:
        """Give `folder` a new, larger UIDVALIDITY (its messages keep their contents); return it.

        Connections are dropped (the server restarts), as when a real server rebuilds a mailbox.
        """
        new_value = self.uidvalidity(user, folder) + 1
        self._doveadm("mailbox", "update", "-u", user, "--uid-validity", str(new_value), folder)
        self.restart()
        return new_value

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- internals ---------------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.dir / "dovecot.conf"

    def _write_config(self) -> None:
        group = _group_name(self._gid)
        for sub in ("run", "state", "home"):
            (self.dir / sub).mkdir()
        if self.tls:
            self._make_certificate()
            ssl_settings = f"ssl = yes\nssl_cert = <{self.cert_path}\nssl_key = <{self.dir / 'key.pem'}"
        else:
            ssl_settings = "ssl = no"
        ports = {"port": self.port, "tls_port": self.tls_port}
        text = _CONFIG.format(dir=self.dir, user=self.run_as, group=group, ssl=ssl_settings, **ports)
        text += self.extra_config + "\n"
        self._write_owned(self.config_path, text)
        self._write_owned(self.dir / "users", "")
        for path in (self.dir, *self.dir.iterdir()):
            os.chown(path, self._uid, self._gid)

    @property
    def cert_path(self) -> Path:
        return self.dir / "cert.pem"

    def _make_certificate(self) -> None:
        made = self_signed(self.dir)
        os.chown(made.key, self._uid, self._gid)

    def _write_owned(self, path: Path, text: str) -> None:
        partial = path.with_suffix(".partial")
        partial.write_text(text)
        os.chown(partial, self._uid, self._gid)
        partial.replace(path)

    def _doveadm(self, *args: str) -> None:
        command = [DOVEADM_BINARY, "-c", str(self.config_path), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {result.stderr.strip()}")

    def _wait_until_greeting(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start:\n{self._stderr()}\n{self.log()}")
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), 1) as probe:
                if probe.recv(64).startswith(b"* OK"):
                    return
            time.sleep(0.02)
        raise RuntimeError(f"dovecot did not greet on port {self.port}:\n{self.log()}")

    def _stderr(self) -> str:
        if self._process is None or self._process.stderr is None:
            return ""
        return self._process.stderr.read().decode(errors="replace")

    def _terminate_master(self, process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
        pid_file = self.dir / "run" / "master.pid"
        try:
            master_pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(master_pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)  # runuser returns once the master has exited

    @staticmethod
    def _wait_until_group_gone(pgid: int, timeout: float = 5.0) -> None:
        """Wait until no live process is left in the group; zombies hold no ports and are ignored."""
        deadline = time.monotonic() + timeout
        while _live_group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.01)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


def _live_group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, process_group = fields[0], int(fields[2])
        if process_group == pgid and state not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def _group_name(gid: int) -> str:
    return grp.getgrgid(gid).gr_name


def _appended_uid(response: bytes) -> int:
    """The UID from an APPENDUID response code: b'[APPENDUID 1712345678 7] Append completed.'"""
    text = response.decode() if isinstance(response, bytes) else str(response)
    marker = "[APPENDUID "
    start = text.index(marker) + len(marker)
    return int(text[start:].split("]", 1)[0].split()[1])
