"""`relaydesk serve`: the web app, the SMTP server, the worker, the sender and the scheduler.

One asyncio loop owns the signals. On SIGINT/SIGTERM the SMTP server stops accepting first, then
each loop finishes the item in hand; everything not done is still in the database for next time.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import ssl
import threading
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bridge import event_log
from bridge.app import (
    build_event_hub,
    build_spool_reader,
    build_spool_writer,
    build_transport,
    build_web_app,
    history_limits,
    imap_accounts,
    rules_from,
)
from bridge.autoclose import close_inactive
from bridge.context import Context
from bridge.db import transaction
from bridge.delivery import deliver_due
from bridge.events import EventHub
from bridge.inbound_store import DatabaseCursorStore, DatabaseSpoolSink, drain_file_spool
from bridge.jobs import run_due_jobs
from bridge.notifications import JOB_HANDLERS
from bridge.pipeline import process_pending
from bridge.rulebook import ReloadFailure
from bridge.settings import SettingsError, load_settings
from chatcore import contact_history
from inbound.imap_fetch import ImapFetcher
from inbound.smtp_server import ListenConfig, Mailbox, SpoolingHandler, start_server

log = logging.getLogger("relaydesk")
IDLE_WAIT = 0.5
CONFIG_POLL = 1.0


class Role(StrEnum):
    ALL = "all"
    WEB = "web"
    MAIL = "mail"
    WORKER = "worker"


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: `serve` owns them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(context: Context, role: Role = Role.ALL, config_path: Path | None = None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if config_path is not None:
        loop.add_signal_handler(signal.SIGHUP, reload_rules, context, config_path)
    wake = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    closers: list[Callable[[], None]] = []
    if role in (Role.ALL, Role.WEB):
        tasks.append(asyncio.create_task(_run_web(context, stop)))
    if role in (Role.ALL, Role.MAIL) and context.settings.inbound.smtp.enabled:
        closers.append(await _start_smtp(context, wake))
    if role in (Role.ALL, Role.MAIL):
        tasks.extend(_start_imap(context, stop, wake))
    if role in (Role.ALL, Role.MAIL, Role.WORKER):
        tasks.append(asyncio.create_task(_worker_loop(context, stop, wake)))
    if role in (Role.ALL, Role.WORKER):
        tasks.append(asyncio.create_task(_delivery_loop(context, stop)))
        scheduler = _start_scheduler(context)
        closers.append(lambda: scheduler.shutdown(wait=False))
    if config_path is not None:
        tasks.append(asyncio.create_task(_watch_config(context, config_path, stop)))
    await asyncio.sleep(0)  # each part starts and builds what it keeps for the life of the process
    freeze_startup_heap()
    log.info("relaydesk is running (role %s)", role.value)
    await stop.wait()
    log.info("stopping: finishing the work in hand")
    for close in closers:
        close()
    wake.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    context.engine.dispose()
    log.info("stopped")


def freeze_startup_heap() -> None:
    """Hide what start-up built (modules, templates, the app) from the cyclic collector: otherwise every
    full collection walks those objects again, adding tens of milliseconds to a page now and then
    (measured in bench/inbox.py)."""
    gc.collect()
    gc.freeze()


def reload_rules(context: Context, config_path: Path) -> bool:
    """Validate the file first; a bad file is reported and the rules in force stay."""
    try:
        settings = load_settings(config_path)
    except SettingsError as error:
        for problem in error.problems:
            log.error("config not reloaded, the old rules stay: %s", problem)
        context.rules.refuse(ReloadFailure(context.clock.now(), tuple(error.problems)))
        return False
    context.rules.replace(rules_from(settings))
    log.info("reloaded working hours and %d autoreply rules", len(settings.autoreply))
    return True


async def _watch_config(context: Context, config_path: Path, stop: asyncio.Event) -> None:
    """Reload when config.toml changes (a SIGHUP does the same at once)."""
    seen = _stamp(config_path)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), CONFIG_POLL)
        stamp = _stamp(config_path)
        if stamp != seen:
            seen = stamp
            reload_rules(context, config_path)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


async def _run_web(context: Context, stop: asyncio.Event) -> None:
    web = context.settings.web
    hub = build_event_hub(context)
    config = uvicorn.Config(
        build_web_app(context, hub), host=web.host, port=web.port, log_level="warning", lifespan="off"
    )
    server = _QuietServer(config)
    watcher = asyncio.create_task(_exit_when(stop, server, hub))
    await server.serve()
    watcher.cancel()


async def _exit_when(stop: asyncio.Event, server: uvicorn.Server, hub: EventHub) -> None:
    await stop.wait()
    await hub.close()  # ends the open event streams, which uvicorn would otherwise wait for
    server.should_exit = True


async def _start_smtp(context: Context, wake: asyncio.Event) -> Callable[[], None]:
    settings = context.settings
    smtp = settings.inbound.smtp
    spool = build_spool_writer(settings)
    handler = SpoolingHandler(
        spool,
        Mailbox(settings.mail.local_part, frozenset({settings.mail.domain})),
        on_spooled=wake.set,
    )
    tls = None
    if smtp.tls_cert and smtp.tls_key:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(settings.path(smtp.tls_cert), settings.path(smtp.tls_key))
    server = await start_server(
        handler, ListenConfig(smtp.host, smtp.port, smtp.lmtp, smtp.max_message_size, tls)
    )
    log.info("SMTP%s listening on %s:%s", " (LMTP)" if smtp.lmtp else "", smtp.host, smtp.port)

    def close() -> None:
        server.close()
        spool.close()

    return close


def _start_imap(context: Context, stop: asyncio.Event, wake: asyncio.Event) -> list[asyncio.Task[None]]:
    """A thread per IMAP account; each stops within a second of the stop event."""
    loop = asyncio.get_running_loop()
    sink, cursors = _WakingSink(DatabaseSpoolSink(context), loop, wake), DatabaseCursorStore(context)
    thread_stop = threading.Event()

    async def run(fetcher: ImapFetcher) -> None:
        worker = asyncio.create_task(asyncio.to_thread(fetcher.run, thread_stop))
        await stop.wait()
        thread_stop.set()
        await worker

    return [
        asyncio.create_task(run(ImapFetcher(account, sink, cursors, logger=log)))
        for account in imap_accounts(context.settings)
    ]


class _WakingSink:
    """Stores through the database sink, then wakes the worker so IMAP mail is processed at once."""

    def __init__(
        self, inner: DatabaseSpoolSink, loop: asyncio.AbstractEventLoop, wake: asyncio.Event
    ) -> None:
        self.inner, self.loop, self.wake = inner, loop, wake

    def put(self, source_key: str, raw: bytes) -> None:
        self.inner.put(source_key, raw)
        self.loop.call_soon_threadsafe(self.wake.set)


async def _worker_loop(context: Context, stop: asyncio.Event, wake: asyncio.Event) -> None:
    spool = build_spool_reader(context.settings)
    while not stop.is_set():
        wake.clear()
        try:
            moved = await asyncio.to_thread(drain_file_spool, context, spool)
            done = await asyncio.to_thread(process_pending, context)
        except Exception:
            log.exception("worker pass failed; retrying")
            moved = done = 0
        if not moved and not done:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), IDLE_WAIT)


async def _delivery_loop(context: Context, stop: asyncio.Event) -> None:
    transport = build_transport(context.settings)
    try:
        while not stop.is_set():
            try:
                sent = await asyncio.to_thread(deliver_due, context, transport)
            except Exception:
                log.exception("delivery pass failed; retrying")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), IDLE_WAIT)
    finally:
        transport.close()


def prune_contact_history(context: Context) -> int:
    """Page views and site events past [contacts].history_days, for every contact."""
    with transaction(context.engine) as session:
        return contact_history.prune(session, context.clock.now(), history_limits(context.settings))


def _start_scheduler(context: Context) -> AsyncIOScheduler:
    """APScheduler only ticks; the jobs themselves live in the database and are claimed there."""
    scheduler = AsyncIOScheduler()

    async def tick() -> None:
        try:
            await asyncio.to_thread(run_due_jobs, context, JOB_HANDLERS)
        except Exception:
            log.exception("scheduler tick failed")

    async def close_quiet_dialogs() -> None:
        try:
            await asyncio.to_thread(close_inactive, context)
        except Exception:
            log.exception("auto-close failed")

    async def prune_events() -> None:
        try:
            await asyncio.to_thread(event_log.prune, context.engine)
        except Exception:
            log.exception("pruning the event log failed")

    async def prune_history() -> None:
        try:
            await asyncio.to_thread(prune_contact_history, context)
        except Exception:
            log.exception("pruning contact history failed")

    scheduler.add_job(tick, "interval", seconds=1, max_instances=1, coalesce=True)
    scheduler.add_job(prune_history, "interval", seconds=3600, max_instances=1, coalesce=True)
    scheduler.add_job(prune_events, "interval", seconds=60, max_instances=1, coalesce=True)
    if context.settings.autoclose.after is not None:
        scheduler.add_job(close_quiet_dialogs, "interval", seconds=60, max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
