"""Widget benchmark: what the pasted script costs a site, and what many visitors cost the desk.

Prints:
  - widget.js's size, raw and gzipped (what a visitor downloads once);
  - --visitors visitors, each with its event stream open, loading the config, recording --views page views
    and sending --messages messages (the widget's own calls, cross-origin from an allowed origin): requests
    a second, median and 95th percentile latency per kind of call, and the server's memory (RSS at the end,
    peak);
  - the same number of requests, at the same concurrency, against a do-nothing Starlette endpoint served
    by the same uvicorn in the same run: the ratio says how much of the time is the widget's own work.

The server is the real web app (bridge.app.build_web_app on a SQLite file, or PostgreSQL with
--postgres) under uvicorn in a child process. Its per-address limits are lifted: every simulated visitor
comes from 127.0.0.1, which the real limits (rightly) answer with 429 after a few dozen calls.

Usage: python bench/widget.py [--visitors 500] [--messages 5] [--views 20] [--concurrency 50] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.databases import database_url
from tests.support.dovecot import free_loopback_port

SCRIPT = Path(__file__).resolve().parent.parent / "webui" / "static" / "widget.js"
SHOP = "https://shop.example"
SECRET = "bench-widget-secret-0123456789abcdefghijkl"


def serve_desk(url: str, workdir: str, port: int) -> None:
    """The child process: the real web app, per-address limits lifted (see the module's docstring)."""
    import uvicorn

    from bridge.app import build_context, build_web_app
    from bridge.db import make_engine, migrate
    from bridge.settings import settings_from_mapping
    from webui.rate_limit import Rate, RateLimiter

    raw = {
        "site": {"secret_key": SECRET, "base_url": f"http://127.0.0.1:{port}"},
        "database": {"url": url},
        "outbound": {"transport": "maildir", "maildir": f"{workdir}/maildir"},
        "uploads": {"dir": f"{workdir}/files"},
        "inbound": {"smtp": {"spool_dir": f"{workdir}/spool"}},
        "widget": {"allowed_origins": [SHOP]},
    }
    settings = settings_from_mapping(raw, {}, base_dir=workdir)
    engine = make_engine(url, workdir)
    migrate(engine)
    app = build_web_app(build_context(settings, engine=engine))
    plenty = Rate(burst=1_000_000, per_second=1_000_000.0)
    limits = app.state.widget_limits
    limits.per_address, limits.starts, limits.per_visitor = (RateLimiter(plenty) for _ in range(3))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def serve_nothing(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def nothing(request: object) -> Response:
        return Response(status_code=204)

    app = Starlette(routes=[Route("/nothing", nothing, methods=["GET", "POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def start(target: Callable[..., None], *args: object) -> multiprocessing.Process:
    process = multiprocessing.get_context("spawn").Process(target=target, args=args, daemon=True)
    process.start()
    port = int(str(args[-1]))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in KB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


class Timings:
    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.failures: dict[str, int] = defaultdict(int)

    async def timed(self, kind: str, call: Awaitable[httpx.Response], ok: int) -> httpx.Response | None:
        began = time.perf_counter()
        try:
            response = await call
        except httpx.HTTPError:
            self.failures[kind] += 1
            return None
        self.samples[kind].append(time.perf_counter() - began)
        if response.status_code != ok:
            self.failures[kind] += 1
        return response

    def count(self) -> int:
        return sum(len(s) for s in self.samples.values())

    def all(self) -> list[float]:
        return [x for s in self.samples.values() for x in s]


def describe(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"median {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   (n={len(ordered)})"
    )


async def hold_stream(client: httpx.AsyncClient, visitor: str, opened: asyncio.Event) -> None:
    async with client.stream(
        "GET", "/api/widget/events", params={"visitor": visitor}, headers={"Origin": SHOP}
    ) as s:
        opened.set()
        async for _ in s.aiter_raw():
            pass


async def one_visitor(
    client: httpx.AsyncClient,
    n: int,
    args: argparse.Namespace,
    timings: Timings,
    streams: list[asyncio.Task[None]],
) -> None:
    origin = {"Origin": SHOP}
    config = await timings.timed(
        "config", client.get("/api/widget/config", params={"lang": "ru"}, headers=origin), 200
    )
    if config is None or config.status_code != 200:
        return
    visitor = config.json()["visitor"]
    every = max(1, args.views // max(1, args.messages))
    for view in range(args.views):
        body = {
            "visitor": visitor,
            "url": f"{SHOP}/item/{view}?utm_source=bench",
            "title": f"Item {view}",
            "referrer": "",
        }
        await timings.timed("pageview", client.post("/api/widget/pageviews", json=body, headers=origin), 204)
        if view == 0:  # the first page view made the contact the stream follows
            opened = asyncio.Event()
            streams.append(asyncio.create_task(hold_stream(client, visitor, opened)))
            await opened.wait()
        if view % every == 0 and view // every < args.messages:  # the messages spread over the visit
            body = {"visitor": visitor, "text": f"Visitor {n}: question {view}", "name": f"Visitor {n}"}
            await timings.timed(
                "message", client.post("/api/widget/messages", json=body, headers=origin), 201
            )


async def run_visitors(base: str, args: argparse.Namespace) -> tuple[Timings, float]:
    timings = Timings()
    streams: list[asyncio.Task[None]] = []
    limits = httpx.Limits(
        max_connections=args.visitors + args.concurrency + 10, max_keepalive_connections=args.concurrency
    )
    # No cookie jar: the widget on another origin sends no cookies (its fetches carry no credentials) and
    # names the visitor in the body. A shared jar would make every simulated visitor the same one.
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # keeps no cookie
        gate = asyncio.Semaphore(args.concurrency)

        async def visitor(n: int) -> None:
            async with gate:
                await one_visitor(client, n, args, timings, streams)

        began = time.perf_counter()
        await asyncio.gather(*(visitor(n) for n in range(args.visitors)))
        elapsed = time.perf_counter() - began
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
    return timings, elapsed


async def run_nothing(base: str, total: int, concurrency: int) -> tuple[Timings, float]:
    timings = Timings()
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate:
                await timings.timed(
                    "nothing", client.post("/nothing", json={"visitor": "x", "text": "hi"}), 204
                )

        began = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(total)))
        return timings, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--visitors", type=int, default=500)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--views", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=50, help="visitors acting at once")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    raw = SCRIPT.read_bytes()
    print(
        f"widget.js: {len(raw) / 1024:.1f} KB, gzipped {len(gzip.compress(raw, 9)) / 1024:.1f} KB (-9), "
        f"{len(gzip.compress(raw, 6)) / 1024:.1f} KB (-6)"
    )

    with (
        tempfile.TemporaryDirectory() as workdir,
        database_url("postgres" if args.postgres else "sqlite", Path(workdir)) as url,
    ):
        desk_port, nothing_port = free_loopback_port(), free_loopback_port()
        desk = start(serve_desk, url, workdir, desk_port)
        nothing = start(serve_nothing, nothing_port)
        try:
            timings, elapsed = asyncio.run(run_visitors(f"http://127.0.0.1:{desk_port}", args))
            rss, peak = memory_kb(desk.pid or 0)
            baseline, base_elapsed = asyncio.run(
                run_nothing(f"http://127.0.0.1:{nothing_port}", timings.count(), args.concurrency)
            )
        finally:
            desk.terminate()
            nothing.terminate()

    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{args.visitors} visitors × ({args.views} page views + {args.messages} messages), "
        f"{args.concurrency} at once, every visitor's event stream open; {backend}"
    )
    for kind, samples in sorted(timings.samples.items()):
        print(f"  {kind:9} {describe(samples)}   failed {timings.failures[kind]}")
    widget_rps = timings.count() / elapsed
    nothing_rps = baseline.count() / base_elapsed
    print(f"  all       {describe(timings.all())}   {widget_rps:7.0f} requests/s")
    print(f"  server memory: RSS {rss / 1024:.0f} MB at the end, peak {peak / 1024:.0f} MB")
    print(
        f"do-nothing Starlette endpoint, same requests and concurrency: {describe(baseline.all())}"
        f"   {nothing_rps:7.0f} requests/s"
    )
    print(f"ratio: the widget's calls run at {widget_rps / nothing_rps:.2f}× the do-nothing rate")


if __name__ == "__main__":
    main()
