"""The composition root: one Settings object in, every part of Relaydesk built and wired."""

from __future__ import annotations

import os

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.applications import Starlette

from bridge import notifications
from bridge.blobs import BlobStore
from bridge.context import Context, clock_from_environment
from bridge.db import is_postgres, make_engine, reads
from bridge.event_wakers import PollWaker, PostgresWaker, Waker
from bridge.events import EventHub
from bridge.i18n import Catalogs
from bridge.invitations import queue_invitation
from bridge.mail_review import MailRetries
from bridge.rulebook import RuleBook, Rules
from bridge.settings import Settings
from bridge.tokens import TokenCodec
from chatcore.clock import Clock
from chatcore.contact_history import HistoryLimits
from chatcore.events import Event
from chatcore.models import Operator
from inbound.imap_fetch import ImapAccount
from inbound.spool import SpoolReader, SpoolWriter
from outbound.dkim import DkimSigner
from outbound.render import EmailRenderer
from outbound.transport import MaildirTransport, MailTransport, SmtpRelay, SmtpTransport
from webui.app import create_app
from webui.deps import WebDeps
from webui.file_links import FileLinks
from webui.shipped import shipped_dir

TEMPLATES = shipped_dir("templates")  # email/, web/, locale/: shipped in the wheel, found by importlib


def build_context(settings: Settings, clock: Clock | None = None, engine: Engine | None = None) -> Context:
    catalogs = Catalogs(TEMPLATES / "locale")
    return Context(
        settings=settings,
        engine=engine or make_engine(settings.database.url, settings.base_dir),
        codec=TokenCodec(settings.site.secret_keys),
        renderer=EmailRenderer(TEMPLATES, catalogs.get),
        catalogs=catalogs,
        clock=clock or clock_from_environment(os.environ),
        rules=RuleBook(rules_from(settings)),
        dkim_signer=build_dkim_signer(settings),
    )


def rules_from(settings: Settings) -> Rules:
    return Rules(settings.working_hours(), settings.autoreply_rules())


def build_dkim_signer(settings: Settings) -> DkimSigner | None:
    """Settings loading has checked the key; a config without a selector sends unsigned mail."""
    outbound = settings.outbound
    if not (outbound.dkim_selector and outbound.dkim_key_file):
        return None
    pem = settings.path(outbound.dkim_key_file).read_bytes()
    return DkimSigner(settings.mail.domain, outbound.dkim_selector, pem)


def build_event_hub(context: Context) -> EventHub:
    """The process's one hub; woken by LISTEN on PostgreSQL, by a short poll on SQLite."""
    engine = context.engine
    waker: Waker = PostgresWaker.for_engine(engine) if is_postgres(engine) else PollWaker()
    return EventHub(engine, waker)


def build_web_app(context: Context, hub: EventHub | None = None) -> Starlette:
    settings = context.settings

    def react(session: Session, events: list[Event]) -> None:
        notifications.react(session, context, events)

    return create_app(
        WebDeps(
            engine=context.engine,
            clock=context.clock,
            secret_key=settings.site.secret_key,
            site_name=settings.site.name,
            base_url=settings.site.base_url,
            language=settings.site.language,
            widget_mode=settings.widget.mode,
            templates_dir=TEMPLATES,
            react=react,
            translations=context.catalogs.get,
            blobs=BlobStore(settings.path(settings.uploads.dir)),
            file_links=FileLinks(settings.site.secret_keys),
            max_file_size=settings.uploads.max_file_size,
            https_only=settings.site.base_url.startswith("https://"),
            max_avatar_size=settings.uploads.max_avatar_size,
            mail_address=settings.mail.address,
            read_engine=reads(context.engine),
            events=hub or build_event_hub(context),
            previous_secret_keys=settings.site.previous_secret_keys,
            mail_retries=MailRetries(context),
            invite=lambda session, operator: _invite(session, context, operator),
            rules=context.rules,
            widget_origins=settings.widget.allowed_origins,
            history=history_limits(settings),
            avatar_service=settings.contacts.avatar_service if settings.contacts.avatar_lookup else None,
        )
    )


def _invite(session: Session, context: Context, operator: Operator) -> None:
    queue_invitation(session, context, operator)


def history_limits(settings: Settings) -> HistoryLimits:
    return HistoryLimits(days=settings.contacts.history_days, events=settings.contacts.history_events)


def build_transport(settings: Settings) -> MailTransport:
    outbound = settings.outbound
    if outbound.transport == "maildir":
        return MaildirTransport(settings.path(outbound.maildir))
    relay = SmtpRelay(
        host=outbound.host,
        port=outbound.port,
        starttls=outbound.starttls,
        ssl=outbound.ssl,
        username=outbound.username,
        password=outbound.password,
        timeout=outbound.timeout.total_seconds(),
        ca_file=str(settings.path(outbound.ca_file)) if outbound.ca_file else None,
    )
    return SmtpTransport(relay)


def build_spool_writer(settings: Settings) -> SpoolWriter:
    return SpoolWriter(settings.path(settings.inbound.smtp.spool_dir))


def build_spool_reader(settings: Settings) -> SpoolReader:
    return SpoolReader(settings.path(settings.inbound.smtp.spool_dir))


def imap_accounts(settings: Settings) -> list[ImapAccount]:
    """One fetcher account per [[inbound.imap]] table (ConfigError when a combination is invalid)."""
    return [
        ImapAccount(
            name=account.name,
            host=account.host,
            port=account.port,
            tls=account.tls,
            starttls=account.starttls,
            username=account.username,
            password=account.password,
            folder=account.folder,
            processed_folder=account.processed_folder,
            idle=account.idle,
            poll_interval=account.poll_interval.total_seconds(),
            idle_renew=account.idle_renew.total_seconds(),
            timeout=account.timeout.total_seconds(),
            ca_file=str(settings.path(account.ca_file)) if account.ca_file else None,
        )
        for account in settings.inbound.imap
    ]
