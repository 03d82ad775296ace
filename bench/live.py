"""Live events benchmark: how soon a change reaches an open stream, and how many streams one web process
keeps fed. Real `relaydesk serve` processes on a real database, real SMTP, real HTTP.

Prints:
  - latency from the SMTP server's 250 to the message's event on an open operator stream, and from the
    start of a widget POST to its event, median and 95th percentile over --messages messages, with every
    role in one process and with the roles split (web, mail, worker as separate processes);
  - --streams concurrent operator streams on one web process while --rate widget messages a second arrive
    for --seconds: whether every stream got every event, the spread of their arrival, and the server's
    CPU (share of one core) and memory (RSS at the end, peak).

Usage: python bench/live.py [--messages 200] [--streams 1000] [--rate 20] [--seconds 10] [--postgres]
(--postgres uses a throwaway schema in $RELAYDESK_TEST_DATABASE_URL; the default is a SQLite file.)
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import smtplib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from multiprocessing.connection import Connection
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.databases import database_url
from tests.support.dovecot import free_loopback_port
from tests.support.live_desk import LiveDesk, is_message
from tests.support.process import RelaydeskProcess
from tests.support.sse import SseStream

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Frames are scanned, not decoded: with a thousand streams in one client process, decoding JSON would
# make the client, not the server, the bottleneck.
_MESSAGE_ID = re.compile(rb'"message_id":(\d+)')
_POSTED = b'"type":"message_posted"'


def quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"median {statistics.median(ordered) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   (n={len(ordered)})"
    )


@contextmanager
def running(workdir: Path, postgres: bool, split: bool) -> Iterator[LiveDesk]:
    with database_url("postgres" if postgres else "sqlite", workdir) as url:
        desk = LiveDesk(workdir, url, free_loopback_port(), webs=1, split=split).start()
        try:
            yield desk
        finally:
            desk.stop()


def smtp_latencies(desk: LiveDesk, stream: SseStream, count: int) -> list[float]:
    samples = []
    with smtplib.SMTP("127.0.0.1", desk.mail.smtp_port, timeout=30) as client:
        for n in range(count):
            message = EmailMessage()
            message["From"], message["To"] = f"sender{n}@example.net", "support@example.com"
            message["Subject"] = f"Latency {n}"
            message.set_content("Where is my order?")
            client.send_message(message)
            accepted = time.monotonic()  # the server has answered 250 to DATA
            event = stream.next_matching(is_message(source="email"), timeout=30)
            samples.append(event.received_at - accepted)
    return samples


def widget_latencies(desk: LiveDesk, stream: SseStream, count: int) -> list[float]:
    samples = []
    web = desk.webs[0]
    with httpx.Client(base_url=web.base_url) as client:
        for n in range(count):
            started = time.monotonic()
            answer = client.post("/api/widget/messages", json={"text": f"widget {n}"})
            message_id = answer.json()["message"]["id"]
            event = stream.next_matching(is_message(message_id), timeout=30)
            samples.append(event.received_at - started)
    return samples


def latency(workdir: Path, postgres: bool, split: bool, count: int) -> None:
    label = "split roles (web, mail, worker)" if split else "one process"
    with running(workdir, postgres, split) as desk:
        stream = desk.operator_stream(desk.webs[0], desk.sign_in(desk.webs[0]))
        print(f"{label}: SMTP 250 -> event   {quantiles(smtp_latencies(desk, stream, count))}")
        print(f"{label}: widget POST -> event {quantiles(widget_latencies(desk, stream, count))}")
        stream.close()


async def read_stream(
    port: int, cookie: str, heard: set[int], arrivals: dict[int, float], connected: asyncio.Event
) -> None:
    """One raw operator stream: adds the ids of the messages it hears to `heard`, until cancelled."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    pending = b""
    try:
        while chunk := await reader.read(65536):
            pending += chunk
            end = pending.rfind(b"\n\n")  # whole frames only; the rest waits for the next chunk
            if end < 0:
                continue
            cut = end + 2
            now = time.monotonic()
            for line in pending[:cut].split(b"\n"):
                if line.startswith(b": connected"):
                    connected.set()
                found = _MESSAGE_ID.search(line) if _POSTED in line else None
                if found:
                    heard.add(int(found.group(1)))
                    arrivals.setdefault(int(found.group(1)), now)
            pending = pending[cut:]
    finally:
        writer.close()


def listeners(port: int, cookie: str, count: int, pipe: Connection) -> None:
    """A process of its own holding `count` streams, so that reading them does not slow the probe:
    says "connected" once all are open, then, given the ids sent, reports how many streams got them all."""
    asyncio.run(_listen(port, cookie, count, pipe))


async def _listen(port: int, cookie: str, count: int, pipe: Connection) -> None:
    heard: list[set[int]] = [set() for _ in range(count)]
    connected = [asyncio.Event() for _ in range(count)]
    tasks = [asyncio.create_task(read_stream(port, cookie, heard[n], {}, connected[n])) for n in range(count)]
    await asyncio.wait_for(asyncio.gather(*(event.wait() for event in connected)), timeout=300)
    pipe.send("connected")
    while not pipe.poll():
        await asyncio.sleep(0.1)
    wanted: set[int] = pipe.recv()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(wanted <= got for got in heard):
        await asyncio.sleep(0.1)
    failed = [repr(task.exception()) for task in tasks if task.done() and task.exception()]
    for task in tasks:
        task.cancel()
    pipe.send((sum(1 for got in heard if wanted <= got), min(len(got & wanted) for got in heard), failed))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_mb(pid: int) -> tuple[float, float]:
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


async def fan_out(web: RelaydeskProcess, cookie: str, streams: int, rate: float, seconds: float) -> None:
    spawn = multiprocessing.get_context("spawn")  # not fork: this process has a running loop and threads
    parent, child = spawn.Pipe()
    others = spawn.Process(target=listeners, args=(web.web_port, cookie, streams, child))
    others.start()
    opened = time.monotonic()
    assert await asyncio.to_thread(parent.recv) == "connected"
    print(f"{streams} streams open after {time.monotonic() - opened:.1f}s")
    probe_heard: set[int] = set()
    first_arrival: dict[int, float] = {}
    probe_connected = asyncio.Event()
    probe = asyncio.create_task(
        read_stream(web.web_port, cookie, probe_heard, first_arrival, probe_connected)
    )
    await probe_connected.wait()
    rss_before, _ = memory_mb(web.pid)
    cpu_before, wall_before = cpu_seconds(web.pid), time.monotonic()
    sent_at: dict[int, float] = {}
    limits, timeout = httpx.Limits(max_connections=50), httpx.Timeout(60)
    async with httpx.AsyncClient(base_url=web.base_url, limits=limits, timeout=timeout) as client:

        async def post(n: int) -> None:
            started = time.monotonic()
            answer = await client.post("/api/widget/messages", json={"text": f"fan-out {n}"})
            sent_at[answer.json()["message"]["id"]] = started

        posts = []
        for n in range(int(rate * seconds)):  # on schedule, however long each answer takes
            await asyncio.sleep(max(0.0, wall_before + n / rate - time.monotonic()))
            posts.append(asyncio.create_task(post(n)))
        await asyncio.gather(*posts)
    achieved = len(sent_at) / (time.monotonic() - wall_before)
    parent.send(set(sent_at))
    complete, fewest, failed = await asyncio.to_thread(parent.recv)
    cpu = cpu_seconds(web.pid) - cpu_before
    wall = time.monotonic() - wall_before
    rss, peak = memory_mb(web.pid)
    others.join()
    probe.cancel()
    delays = [first_arrival[i] - sent_at[i] for i in sent_at if i in first_arrival]
    print(
        f"{len(sent_at)} messages at {achieved:.1f}/s: {complete}/{streams} streams got every event "
        f"(the fewest: {fewest}){f'; {len(failed)} failed, e.g. {failed[0]}' if failed else ''}"
    )
    print(f"POST -> event on a probe stream beside them: {quantiles(delays)}")
    frames = len(sent_at) * (streams + 1)
    print(
        f"server: CPU {cpu / wall * 100:.0f}% of one core over {wall:.1f}s "
        f"({cpu / frames * 1e6:.0f} µs per event per stream, the POSTs included); "
        f"RSS {rss_before:.0f} MB with the streams open, {rss:.0f} MB after the messages, peak {peak:.0f} MB"
    )


def streams_benchmark(workdir: Path, postgres: bool, streams: int, rate: float, seconds: float) -> None:
    with running(workdir, postgres, split=False) as desk:
        web = desk.webs[0]
        cookies = desk.sign_in(web)
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        asyncio.run(fan_out(web, cookie, streams, rate, seconds))


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-streams", action="store_true")
    args = parser.parse_args()
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; load average {load_average()}")
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        if not args.skip_latency:
            latency(root / "one", args.postgres, split=False, count=args.messages)
            latency(root / "split", args.postgres, split=True, count=args.messages)
        if not args.skip_streams:
            streams_benchmark(root / "fan", args.postgres, args.streams, args.rate, args.seconds)


if __name__ == "__main__":
    main()
