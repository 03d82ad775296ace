"""Login benchmark against a real `relaydesk serve`: what password guessing costs everyone else.

Prints, from one run on this machine:
  - the SMTP banner's latency (connect to 220) when the desk is idle, and while GUESSERS clients send
    wrong passwords back to back, with the ratio (argon2 on the event loop made it ~1,000×);
  - how long a wrong password takes for an existing account and for an address nobody has (they
    should match: the answer must not tell which addresses exist).

Usage: python bench/login.py [--guessers 4] [--banners 20]   (--banners: how many measured when idle)
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from tests.support.process import RelaydeskProcess

SECRET = "login-benchmark-secret-0123456789abcdef"
OPERATOR = "olga@example.com"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def start(workdir: Path, guessers: int) -> RelaydeskProcess:
    desk = RelaydeskProcess(
        workdir,
        f"sqlite:///{workdir / 'desk.db'}",
        1,
        site={"secret_key": SECRET},
        outbound={"transport": "maildir", "maildir": str(workdir / "out")},
    )
    for email in [OPERATOR, *(guessed(n) for n in range(guessers))]:
        added = desk.cli("operator", "add", email, "--no-email")
        assert added.returncode == 0, added.stderr
    return desk.start()


def guessed(number: int) -> str:
    """An existing account per guesser: its password is really checked (and within its free failures)."""
    return f"guessed{number}@example.com"


def banner_seconds(port: int) -> float:
    began = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as connection:
        assert connection.recv(512).startswith(b"220")
        elapsed = time.perf_counter() - began
        connection.sendall(b"QUIT\r\n")
        connection.recv(512)
    return elapsed


def wrong_login_seconds(client: httpx.Client, email: str) -> float:
    token = _CSRF.search(client.get("/login").text)
    assert token
    began = time.perf_counter()
    answer = client.post("/login", data={"email": email, "password": "wrong", "csrf": token.group(1)})
    assert answer.status_code == 401, answer.status_code
    return time.perf_counter() - began


def guess(desk: RelaydeskProcess, number: int) -> None:
    with httpx.Client(base_url=desk.base_url, timeout=120) as client:
        for _attempt in range(4):  # 4 guessers x 4 stay within one address's free failures
            wrong_login_seconds(client, guessed(number))


def banners_while_guessing(desk: RelaydeskProcess, guessers: int) -> list[float]:
    """Banner latencies measured one after another for as long as the guessers are at work."""
    threads = [threading.Thread(target=guess, args=(desk, n)) for n in range(guessers)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    found = []
    while any(thread.is_alive() for thread in threads):
        found.append(banner_seconds(desk.smtp_port))
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guessers", type=int, default=4)
    parser.add_argument("--banners", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        desk = start(Path(first), args.guessers)
        try:
            idle = statistics.median(banner_seconds(desk.smtp_port) for _ in range(args.banners))
            during = banners_while_guessing(desk, args.guessers)
        finally:
            desk.stop()
        desk = start(Path(second), 0)  # a fresh desk: the guessing above used up this address's allowance
        try:
            with httpx.Client(base_url=desk.base_url, timeout=120) as client:
                known = statistics.median(wrong_login_seconds(client, OPERATOR) for _ in range(4))
                unknown = statistics.median(
                    wrong_login_seconds(client, f"x{n}@example.com") for n in range(4)
                )
        finally:
            desk.stop()
    print(f"SMTP banner, idle:                     {idle * 1000:8.1f} ms (median of {args.banners})")
    busy, worst = statistics.median(during), max(during)
    guessing = f"SMTP banner, {args.guessers} clients guessing:"
    print(f"{guessing:39}{busy * 1000:8.1f} ms  ratio {busy / idle:.1f}x (median of {len(during)})")
    print(f"{'  the slowest of them:':39}{worst * 1000:8.1f} ms")
    print(f"wrong password, existing account:      {known * 1000:8.1f} ms (median of 4)")
    print(f"wrong password, unknown address:       {unknown * 1000:8.1f} ms  ratio {unknown / known:.2f}")


if __name__ == "__main__":
    main()
