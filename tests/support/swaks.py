"""swaks, the SMTP swiss army knife, as a real client: its exit code and its transcript."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

SWAKS = "/usr/bin/swaks"

# swaks' exit codes (man swaks, "EXIT CODES")
ACCEPTED = 0
NO_RECIPIENT_ACCEPTED = 24
DATA_REFUSED = 26


@dataclass(frozen=True)
class SwaksRun:
    code: int
    transcript: str

    def replies(self) -> list[str]:
        """The server's replies, without swaks' arrows; `<**` marks those swaks took as errors."""
        lines = self.transcript.splitlines()
        return [re.sub(r"^<[-~*]{1,2}\s+", "", line) for line in lines if line.startswith("<")]

    def queued_keys(self) -> list[str]:
        return re.findall(r"250 2\.0\.0 Queued as (\S+)", self.transcript)


def swaks(port: int, *args: str, timeout: float = 30) -> SwaksRun:
    done = subprocess.run(
        [SWAKS, "--server", f"127.0.0.1:{port}", "--timeout", "10", "--helo", "client.test", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return SwaksRun(done.returncode, done.stdout + done.stderr)
