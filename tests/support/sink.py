"""Postfix's smtp-sink as the outbound relay: every mail it accepts is dumped to a file we read."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from tests.support.dovecot import free_loopback_port

SMTP_SINK = "/usr/sbin/smtp-sink"


@dataclass(frozen=True)
class SunkMail:
    envelope_from: str
    recipients: tuple[str, ...]
    raw: bytes
    message: EmailMessage

    def body(self, subtype: str = "plain") -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""


class SmtpSink:
    """Dumps go to a folder of their own in /tmp: the sink runs as "nobody", who cannot enter
    pytest's private temporary folders."""

    def __init__(self, port: int | None = None, delay: int = 0) -> None:
        """`port` reuses a port, e.g. one a stopped sink left: the relay comes back where it was.
        `delay` makes the sink wait that many seconds before it answers each mail (a slow relay)."""
        self.directory = Path(tempfile.mkdtemp(prefix="relaydesk-sink-"))
        self.port = port if port is not None else free_loopback_port()
        self.delay = delay
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> SmtpSink:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o777)  # smtp-sink drops root privileges to "nobody"
        command = [SMTP_SINK, "-d", f"{self.directory}/%s.", f"127.0.0.1:{self.port}", "100"]
        if os.geteuid() == 0:
            command[1:1] = ["-u", "nobody"]
        if self.delay:
            command[1:1] = ["-w", str(self.delay)]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.2)
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=5)
            self._process = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def mails(self) -> list[SunkMail]:
        found = []
        for path in sorted(self.directory.iterdir(), key=lambda p: (p.stat().st_mtime, p.name)):
            found.append(_read_dump(path.read_bytes()))
        return found

    def wait_for(self, count: int, recipient: str | None = None, timeout: float = 15.0) -> list[SunkMail]:
        """At least `count` mails (to `recipient`, if given); fails the test when they do not come."""
        deadline = time.monotonic() + timeout
        while True:
            mails = [m for m in self.mails() if recipient is None or recipient in m.recipients]
            if len(mails) >= count or time.monotonic() > deadline:
                assert len(mails) >= count, f"expected {count} mails to {recipient}, got {len(mails)}"
                return mails
            time.sleep(0.1)

    def clear(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o777)


def _read_dump(data: bytes) -> SunkMail:
    """smtp-sink prepends X-Mail-Args/X-Rcpt-Args and its own Received line to the message."""
    lines = data.split(b"\n")
    envelope_from, recipients, start = "", [], 0
    for index, line in enumerate(lines):
        text = line.decode("utf-8", "replace").rstrip("\r")
        if text.startswith("X-Mail-Args:"):
            envelope_from = text.split(":", 1)[1].strip().split()[0].strip("<>")
        elif text.startswith("X-Rcpt-Args:"):
            recipients.append(text.split(":", 1)[1].strip().split()[0].strip("<>"))
        elif text.startswith("Received:"):
            start = index + 1
            while start < len(lines) and lines[start][:1] in (b" ", b"\t"):
                start += 1
            break
        elif not text.startswith("X-"):
            break
    raw = b"\n".join(lines[start:])
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return SunkMail(envelope_from, tuple(recipients), raw, message)
