"""The `relaydesk` command. Bad input: one line on stderr per problem and exit code 2."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import secrets
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import TextIO

from sqlmodel import Session, select

from bridge import importer, quarantine
from bridge.app import TEMPLATES, build_context
from bridge.context import Context
from bridge.db import migrate, read_session, transaction
from bridge.export import export_rows
from bridge.i18n import Catalogs
from bridge.invitations import queue_invitation, set_password_url
from bridge.serve import Role, serve
from bridge.settings import Settings, SettingsError, load_settings
from chatcore import api_tokens, site_keys
from chatcore.autoreply import Channel, explain
from chatcore.autoreply.explain import local_moment
from chatcore.errors import FieldError
from chatcore.models import Operator
from chatcore.operator_sessions import deactivate
from webui.auth import hash_password
from webui.password_links import VALID_FOR

EXAMPLE_CONFIG = files("templates").joinpath("config.toml")  # the repository's config.toml, shipped
LOCAL_CONFIG = "config.local.toml"
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")


class UsageError(Exception):
    """A problem with what the user asked for; printed as one line, exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    args.config = find_config(args.config, os.environ, writing=args.command == "init")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        result: int = args.handler(args)
        return result
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"relaydesk: {problem}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"relaydesk: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relaydesk", description="An email-first helpdesk.")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the config file (default: $RELAYDESK_CONFIG, else ./config.local.toml, else ./config.toml)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="write a config with a random secret and create the database")
    init.add_argument(
        "--if-missing", action="store_true", help="keep an existing config; create what is missing"
    )
    init.set_defaults(handler=cmd_init)

    run = commands.add_parser("serve", help="run the web app, SMTP server, worker and scheduler")
    run.add_argument("--role", choices=[r.value for r in Role], default=Role.ALL.value)
    run.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        handler=cmd_migrate
    )

    operator = commands.add_parser("operator", help="manage operators")
    operator_commands = operator.add_subparsers(dest="operator_command", required=True, metavar="ACTION")
    add = operator_commands.add_parser("add", help="add an operator and email them an invitation")
    add.add_argument("email")
    add.add_argument("--name", default="")
    add.add_argument("--admin", action="store_true")
    add.add_argument("--language", choices=["en", "ru"], help="their pages and emails (default: the site's)")
    add.add_argument("--no-email", action="store_true", help="print a password instead of emailing a link")
    add.set_defaults(handler=cmd_operator_add)
    invite = operator_commands.add_parser("invite", help="email an operator a new set-password link")
    invite.add_argument("email")
    invite.set_defaults(handler=cmd_operator_invite)
    deactivate = operator_commands.add_parser(
        "deactivate", help="stop an operator logging in; ends their web sessions at once"
    )
    deactivate.add_argument("email")
    deactivate.set_defaults(handler=cmd_operator_deactivate)

    token = commands.add_parser("token", help="personal API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="a new API token for an operator (printed once)")
    create.add_argument("email")
    create.add_argument("--name", default="", help="what the token is for, shown on the profile page")
    create.set_defaults(handler=cmd_token_create)

    site_key = commands.add_parser("site-key", help="keys of the site's own server (site API, user hashes)")
    site_key_commands = site_key.add_subparsers(dest="site_key_command", required=True, metavar="ACTION")
    key_create = site_key_commands.add_parser("create", help="a new site key (printed once, last line)")
    key_create.add_argument("--name", default="", help="what the key is for, shown in lists")
    key_create.set_defaults(handler=cmd_site_key_create)
    site_key_commands.add_parser("list", help="one line per key: id, state, name, start").set_defaults(
        handler=cmd_site_key_list
    )
    key_revoke = site_key_commands.add_parser("revoke", help="revoke a key; it stops working at once")
    key_revoke.add_argument("id", type=int)
    key_revoke.set_defaults(handler=cmd_site_key_revoke)

    password = operator_commands.add_parser(
        "password", help="print a set-password link for an operator (no email): the way back in"
    )
    password.add_argument("email")
    password.set_defaults(handler=cmd_operator_password)

    autoreply = commands.add_parser("autoreply", help="working hours and autoreply rules")
    autoreply_commands = autoreply.add_subparsers(dest="autoreply_command", required=True, metavar="ACTION")
    explain = autoreply_commands.add_parser("explain", help="which rule would answer at a moment, and why")
    explain.add_argument("--at", required=True, help='local time in [hours].timezone: "2026-12-31 15:30"')
    explain.add_argument("--channel", choices=["chat", "email"], default="chat")
    explain.add_argument("--new", action="store_true", help="the message starts a new conversation")
    explain.add_argument("--language", choices=["en", "ru"], help="of the explanation (default: the site's)")
    explain.set_defaults(handler=cmd_autoreply_explain)

    held = commands.add_parser("quarantine", help="mail that could not be processed")
    quarantine_commands = held.add_subparsers(dest="quarantine_command", required=True, metavar="ACTION")
    quarantine_commands.add_parser("list", help="one line per quarantined mail").set_defaults(
        handler=cmd_quarantine_list
    )
    show = quarantine_commands.add_parser("show", help="the reason and the headers of one mail")
    show.add_argument("id", type=int)
    show.set_defaults(handler=cmd_quarantine_show)
    again = quarantine_commands.add_parser("retry", help="process one mail again, now")
    again.add_argument("id", type=int)
    again.set_defaults(handler=cmd_quarantine_retry)

    load = commands.add_parser("import", help="import .eml files, mbox files and Maildir folders")
    load.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    load.set_defaults(handler=cmd_import)

    export = commands.add_parser("export", help="print every conversation as one JSON line")
    export.set_defaults(handler=cmd_export)
    return parser


def find_config(given: Path | None, environ: Mapping[str, str], *, writing: bool = False) -> Path:
    """--config, else $RELAYDESK_CONFIG, else ./config.local.toml (what `make run` writes), else
    ./config.toml. `init` writes ./config.local.toml rather than over the example."""
    if given is not None:
        return given
    if environ.get("RELAYDESK_CONFIG"):
        return Path(environ["RELAYDESK_CONFIG"])
    local = Path(LOCAL_CONFIG)
    return local if writing or local.exists() else Path("config.toml")


def _context(args: argparse.Namespace) -> Context:
    settings: Settings = load_settings(args.config)
    return build_context(settings)


def cmd_init(args: argparse.Namespace) -> int:
    path: Path = args.config
    if path.exists() and not args.if_missing:
        raise UsageError(f"{path} exists; use --if-missing to keep it and only create what is missing")
    if not path.exists():
        write_config(path)
        print(f"wrote {path} with a new random secret key")
    context = _context(args)
    migrate(context.engine)
    with read_session(context.engine) as session:
        has_operator = session.exec(select(Operator.id).limit(1)).first() is not None
    if not has_operator:
        password = _add_operator(context, "admin@example.com", "Admin", admin=True)
        print(f"first admin: admin@example.com / {password}")
    print(f"locked out:  relaydesk --config {path} operator password EMAIL  (prints a set-password link)")
    _print_where(context.settings)
    return 0


def write_config(path: Path) -> None:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    secret = secrets.token_urlsafe(32)
    text = re.sub(r'^secret_key = ".*"$', f'secret_key = "{secret}"', text, count=1, flags=re.M)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)


def _print_where(settings: Settings) -> None:
    smtp = settings.inbound.smtp
    print(f"web inbox:   http://{settings.web.host}:{settings.web.port}/inbox")
    print(f"demo chat:   http://{settings.web.host}:{settings.web.port}/demo")
    if smtp.enabled:
        print(f"SMTP:        {smtp.host}:{smtp.port} (mail for {settings.mail.address})")
        print(
            f"test email:  swaks --server {smtp.host}:{smtp.port} --to {settings.mail.address} "
            "--from you@example.org --body 'Hello'"
        )
    if settings.outbound.transport == "maildir":
        print(f"mail out:    {settings.path(settings.outbound.maildir)}/new/")


def cmd_serve(args: argparse.Namespace) -> int:
    context = _context(args)
    migrate(context.engine)
    _print_where(context.settings)
    asyncio.run(serve(context, Role(args.role), config_path=args.config))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    migrate(_context(args).engine)
    print("database is up to date")
    return 0


def cmd_operator_add(args: argparse.Namespace) -> int:
    email = _operator_email(args.email)
    context = _context(args)
    migrate(context.engine)
    if args.no_email:
        password = _add_operator(context, email, args.name, admin=args.admin, language=args.language)
        print(f"operator {email} added; password: {password}")
        return 0
    with transaction(context.engine) as session:
        # No password until they choose one through the link: nobody else ever knows it.
        operator = _insert_operator(session, context, email, args.name, args.admin, args.language, "")
        queue_invitation(session, context, operator)
    print(f"operator {email} added; invitation queued to {email} ({_link_validity()})")
    return 0


def cmd_operator_invite(args: argparse.Namespace) -> int:
    email = _operator_email(args.email)
    context = _context(args)
    migrate(context.engine)
    with transaction(context.engine) as session:
        operator = session.exec(select(Operator).where(Operator.email == email)).first()
        if operator is None or not operator.active:
            raise UsageError(f"there is no active operator {email}")
        queue_invitation(session, context, operator)
    print(f"invitation queued to {email} ({_link_validity()})")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    """The token alone on the last line, so a script can take it with `tail -n 1`."""
    email = _operator_email(args.email)
    context = _context(args)
    migrate(context.engine)
    with transaction(context.engine) as session:
        operator = _active_operator(session, email)
        with _option_errors():
            _row, token = api_tokens.issue(session, operator, args.name, context.clock.now())
    print(f"API token for {email} (shown once; revoke it on the profile page):")
    print(token)
    return 0


@contextmanager
def _option_errors() -> Iterator[None]:
    """A refused field becomes the CLI's one line naming the option (`--name: ...`), exit code 2."""
    try:
        yield
    except FieldError as error:
        raise UsageError(f"--{error.field}: {error.problem}") from None


def cmd_site_key_create(args: argparse.Namespace) -> int:
    """The key alone on the last line, so a script can take it with `tail -n 1`."""
    context = _context(args)
    migrate(context.engine)
    with transaction(context.engine) as session:
        with _option_errors():
            row, key = site_keys.issue(session, args.name, context.clock.now())
        key_id = row.id
    print(f"site key {key_id} (shown once; revoke it with `relaydesk site-key revoke {key_id}`):")
    print(key)
    return 0


def cmd_site_key_list(args: argparse.Namespace) -> int:
    context = _context(args)
    migrate(context.engine)
    with read_session(context.engine) as session:
        for row in site_keys.all_keys(session):
            state = "revoked" if row.revoked_at else "live"
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never used"
            print(f"{row.id}\t{state}\t{row.created_at:%Y-%m-%d}\t{used}\t{site_keys.shown(row)}\t{row.name}")
    return 0


def cmd_site_key_revoke(args: argparse.Namespace) -> int:
    context = _context(args)
    migrate(context.engine)
    with transaction(context.engine) as session:
        if not site_keys.revoke(session, args.id, context.clock.now()):
            raise UsageError(f"there is no live site key {args.id}")
    print(f"site key {args.id} revoked")
    return 0


def cmd_operator_deactivate(args: argparse.Namespace) -> int:
    email = _operator_email(args.email)
    context = _context(args)
    migrate(context.engine)
    with transaction(context.engine) as session:
        operator = _active_operator(session, email)
        deactivate(operator)
        session.add(operator)
    print(f"operator {email} deactivated; their sessions have ended")
    return 0


def _active_operator(session: Session, email: str) -> Operator:
    operator = session.exec(select(Operator).where(Operator.email == email)).first()
    if operator is None or not operator.active:
        raise UsageError(f"there is no active operator {email}")
    return operator


def cmd_operator_password(args: argparse.Namespace) -> int:
    email = _operator_email(args.email)
    context = _context(args)
    migrate(context.engine)
    with transaction(context.engine) as session:  # the new link voids older ones: that must be stored
        operator = _active_operator(session, email)
        link = set_password_url(context, operator)
        session.add(operator)
    print(f"set a password for {email} here ({_link_validity()}):\n{link}")
    return 0


def _operator_email(text: str) -> str:
    email = text.strip().lower()
    if not _EMAIL.match(email):
        raise UsageError(f'"{text}" is not an email address')
    return email


def _link_validity() -> str:
    return f"set-password link valid for {int(VALID_FOR.total_seconds() // 3600)} hours"


def _add_operator(
    context: Context, email: str, name: str, *, admin: bool, language: str | None = None
) -> str:
    password = secrets.token_urlsafe(12)
    with transaction(context.engine) as session:
        _insert_operator(session, context, email, name, admin, language, hash_password(password))
    return password


def _insert_operator(
    session: Session,
    context: Context,
    email: str,
    name: str,
    admin: bool,
    language: str | None,
    password_hash: str,
) -> Operator:
    if session.exec(select(Operator).where(Operator.email == email)).first():
        raise UsageError(f"operator {email} exists already")
    operator = Operator(
        email=email,
        name=name,
        role="admin" if admin else "operator",
        language=language,
        password_hash=password_hash,
        created_at=context.clock.now(),
    )
    session.add(operator)
    session.flush()
    return operator


def cmd_autoreply_explain(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    hours = settings.working_hours()
    try:
        at = local_moment(args.at, hours)
    except ValueError:
        raise UsageError(f'--at: "{args.at}" is not a time like "2026-12-31 15:30"') from None
    t = Catalogs(TEMPLATES / "locale").get(args.language or settings.site.language)
    lines = explain(settings.autoreply_rules(), hours, at, Channel(args.channel), args.new, t)
    print("\n".join(lines))
    return 0


def cmd_quarantine_list(args: argparse.Namespace) -> int:
    for mail in quarantine.list_quarantined(_context(args)):
        print(f"{mail.id}\t{mail.received_at:%Y-%m-%d %H:%M}\t{mail.sender}\t{mail.subject}\t{mail.reason}")
    return 0


def cmd_quarantine_show(args: argparse.Namespace) -> int:
    found = quarantine.get_quarantined(_context(args), args.id)
    if found is None:
        raise UsageError(f"no quarantined mail with id {args.id}")
    mail, raw = found
    print(f"id:       {mail.id}\nreceived: {mail.received_at.isoformat()}\nsource:   {mail.source_key}")
    print(f"size:     {mail.size} bytes\nreason:   {mail.reason}")
    for defect in quarantine.mime_defects(raw):
        print(f"defect:   {defect}")
    print()
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    print(head.decode("utf-8", "replace"))
    return 0


def cmd_quarantine_retry(args: argparse.Namespace) -> int:
    context = _context(args)
    row = quarantine.retry(context, args.id)
    if row is None:
        raise UsageError(f"no quarantined mail with id {args.id}")
    print(f"{row.id}: {row.status}" + (f" ({row.reason})" if row.reason else ""))
    return 0 if row.status != "quarantined" else 1


def cmd_import(args: argparse.Namespace) -> int:
    try:
        sources = importer.recognise(args.paths)
    except importer.NotMail as exc:
        raise UsageError(str(exc)) from None
    context = _context(args)
    migrate(context.engine)
    result = importer.import_mail(context, sources, _progress_writer(sys.stderr))
    print(result.summary())
    return 0


def _progress_writer(stream: TextIO) -> importer.Progress:
    """A redrawn bar on a terminal; otherwise a plain count line every 100 mails and at the end."""
    width = 30

    def show(done: int, total: int) -> None:
        if stream.isatty():
            filled = width * done // max(total, 1)
            stream.write(f"\r[{'#' * filled}{' ' * (width - filled)}] {done}/{total}")
            if done == total:
                stream.write("\n")
        elif done % 100 == 0 or done == total:
            stream.write(f"read {done}/{total}\n")
        stream.flush()

    return show


def cmd_export(args: argparse.Namespace) -> int:
    context = _context(args)
    for row in export_rows(context.engine):
        print(json.dumps(row, ensure_ascii=False))
    return 0
