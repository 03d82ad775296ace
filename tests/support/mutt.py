"""Reply with a real mutt: open a mail in a Maildir, press reply, write above the quote, send.

mutt drops typed-ahead keys after running the editor, so it is driven the way a person drives
it: in a tmux pane, waiting for each screen before pressing the next key.
"""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid
from pathlib import Path


def reply_with_mutt(
    mail: bytes, *, sender: str, sender_name: str, smtp_port: int, answer: str, workdir: Path
) -> None:
    box = workdir / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True, exist_ok=True)
    (box / "new" / f"{uuid.uuid4().hex}.mail").write_bytes(mail.replace(b"\r\n", b"\n"))
    answer_file = workdir / "answer.txt"
    answer_file.write_text(answer + "\n\n", encoding="utf-8")
    editor = workdir / "editor.sh"
    editor.write_text(
        f'#!/bin/sh\ncat {shlex.quote(str(answer_file))} "$1" > "$1.new" && mv "$1.new" "$1"\n',
        encoding="utf-8",
    )
    editor.chmod(0o755)
    muttrc = workdir / "muttrc"
    muttrc.write_text(_muttrc(sender, sender_name, smtp_port, editor, workdir), encoding="utf-8")
    socket = f"rd-{uuid.uuid4().hex[:8]}"
    command = f"TERM=xterm mutt -n -F {shlex.quote(str(muttrc))} -f {shlex.quote(str(box))} -e 'push <reply>'"
    _tmux(socket, "new-session", "-d", "-s", "mutt", "-x", "120", "-y", "40", command)
    try:
        _wait_for_screen(socket, "Mutt: Compose")
        _tmux(socket, "send-keys", "-t", "mutt", "y")
        _wait_for_screen(socket, "Mail sent.")
        _tmux(socket, "send-keys", "-t", "mutt", "q")
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)


def _muttrc(sender: str, name: str, smtp_port: int, editor: Path, home: Path) -> str:
    # Without its own folder mutt asks on a fresh machine whether to create ~/Mail and waits.
    settings = {
        "folder": str(home),
        "from": sender,
        "realname": name,
        "use_from": "yes",
        "smtp_url": f"smtp://127.0.0.1:{smtp_port}/",
        "ssl_starttls": "no",
        "ssl_force_tls": "no",
        "editor": str(editor),
        "fast_reply": "yes",
        "include": "yes",
        "reply_to": "yes",
        "edit_headers": "no",
        "askcc": "no",
        "abort_unmodified": "no",
        "record": "",
        "postpone": "no",
        "copy": "no",
        "move": "no",
        "mbox_type": "Maildir",
        "header_cache": "",
        "charset": "utf-8",
        "send_charset": "utf-8",
    }
    return "".join(f'set {key}="{value}"\n' for key, value in settings.items())


def _tmux(socket: str, *args: str) -> str:
    done = subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, check=True)
    return done.stdout


def _wait_for_screen(socket: str, text: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux(socket, "capture-pane", "-t", "mutt", "-p")
        if text in screen:
            return
        time.sleep(0.1)
    raise AssertionError(f"mutt never showed {text!r}; the screen was:\n{screen}")
