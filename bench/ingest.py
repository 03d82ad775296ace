"""Ingest benchmark: generated mail through spool → committed conversation, and SMTP acceptance.

Prints, from one run on this machine:
  - end-to-end ingest (store_raw + the whole pipeline, SQLite) in messages per second, beside the
    stdlib `email` parse-only rate (BytesParser with policy.default) over the same corpus;
  - SMTP acceptance (DATA answered 250 after the durable spool write) in messages per second, beside a
    do-nothing aiosmtpd handler on the same loopback, with the ratio, for one client and for several
    concurrent clients (an MTA delivers over several connections; their mails share one fdatasync).

Usage: python bench/ingest.py [--messages 1000] [--smtp-messages 500] [--smtp-clients 4]
"""

from __future__ import annotations

import argparse
import asyncio
import smtplib
import sys
import tempfile
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.smtp import SMTP

from bridge.app import build_context
from bridge.db import make_engine, migrate
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from bridge.settings import settings_from_mapping
from inbound.smtp_server import ListenConfig, Mailbox, SpoolingHandler, make_protocol_factory
from inbound.spool import SpoolWriter

SUBJECTS = ["Order question", "Вопрос по заказу", "Invoice", "Не работает вход", "Refund"]
BODIES = [
    "Hello,\n\nmy order has not arrived yet. Could you check?\n\nThanks,\nAnn",
    "Здравствуйте!\n\nНе могу войти в личный кабинет, пишет 'неверный пароль'.\n\n--\nИван",
    "Hi, please find the invoice attached.\n\nOn Mon, 23 Nov 2026 at 10:00, Support wrote:\n> Send it please",
]
CHARSETS = ["utf-8", "koi8-r", "windows-1251", "utf-8"]


def corpus(count: int) -> list[bytes]:
    mails = []
    for index in range(count):
        message = EmailMessage()
        thread = index // 4
        message["From"] = f"Sender {thread} <sender{thread}@example.net>"
        message["To"] = "support@example.com"
        message["Subject"] = SUBJECTS[index % len(SUBJECTS)]
        message["Message-ID"] = f"<bench-{index}@example.net>"
        if index % 4:
            message["In-Reply-To"] = f"<bench-{index - 1}@example.net>"
        body = BODIES[index % len(BODIES)]
        charset = CHARSETS[index % len(CHARSETS)]
        if charset != "utf-8" and any("а" <= c <= "я" for c in body.lower()):
            message.set_content(body, charset=charset, cte="8bit" if index % 2 else "quoted-printable")
        else:
            message.set_content(body, cte="base64" if index % 3 == 0 else "quoted-printable")
        if index % 5 == 0:
            message.add_attachment(
                bytes(range(256)) * 40, maintype="application", subtype="pdf", filename=f"счёт-{index}.pdf"
            )
        mails.append(message.as_bytes(policy=policy.SMTP))
    return mails


def parse_only_rate(mails: list[bytes]) -> float:
    start = time.perf_counter()
    for raw in mails:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        message.get_body(preferencelist=("plain", "html"))
    return len(mails) / (time.perf_counter() - start)


def ingest_rate(mails: list[bytes], workdir: Path) -> float:
    url = f"sqlite:///{workdir / 'bench.db'}"
    settings = settings_from_mapping(
        {
            "site": {"secret_key": "bench-secret-0123456789abcdefghijklmnop"},
            "database": {"url": url},
            "uploads": {"dir": str(workdir / "files")},
        },
        {},
        base_dir=str(workdir),
    )
    engine = make_engine(url, str(workdir))
    migrate(engine)
    context = build_context(settings, engine=engine)
    start = time.perf_counter()
    for index, raw in enumerate(mails):
        store_raw(context, f"bench:{index}", raw, "sender@example.net", ["support@example.com"])
    while process_pending(context, limit=100):
        pass
    return len(mails) / (time.perf_counter() - start)


class NullHandler:
    async def handle_DATA(self, server: SMTP, session: object, envelope: object) -> str:
        return "250 OK"


def send_all(port: int, mails: list[bytes]) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        for raw in mails:
            client.sendmail("sender@example.net", ["support@example.com"], raw)


def smtp_rate(mails: list[bytes], factory: object, clients: int = 1) -> float:
    """Mails per second over `clients` concurrent connections (MTAs deliver over several at once)."""
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", 0))  # type: ignore[arg-type]
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    senders = [threading.Thread(target=send_all, args=(port, mails[n::clients])) for n in range(clients)]
    start = time.perf_counter()
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    elapsed = time.perf_counter() - start
    loop.call_soon_threadsafe(server.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    return len(mails) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--smtp-messages", type=int, default=500)
    parser.add_argument("--smtp-clients", type=int, default=4, help="concurrent connections, besides one")
    args = parser.parse_args()
    mails = corpus(args.messages)
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        parse = parse_only_rate(mails)
        ingest = ingest_rate(mails, workdir)
        config = ListenConfig("127.0.0.1", 0, False, 25 * 1024 * 1024)
        spooling = SpoolingHandler(
            SpoolWriter(workdir / "spool"), Mailbox("support", frozenset({"example.com"}))
        )
        smtp_mails = mails[: args.smtp_messages]
        smtp = {
            clients: (
                smtp_rate(smtp_mails, lambda: SMTP(NullHandler(), decode_data=False), clients),
                smtp_rate(smtp_mails, make_protocol_factory(spooling, config), clients),
            )
            for clients in sorted({1, args.smtp_clients})
        }
    print(f"corpus: {len(mails)} mails (threads, en/ru, utf-8/koi8-r/cp1251, 8bit/QP/base64, attachments)")
    print(f"stdlib parse only (policy.default): {parse:8.0f} msg/s")
    print(f"end-to-end ingest, SQLite:          {ingest:8.0f} msg/s  ({ingest / parse:.2f} of parse-only)")
    for clients, (null, spooled) in smtp.items():
        print(f"SMTP, {clients} client(s), do-nothing handler: {null:8.0f} msg/s")
        print(f"SMTP, {clients} client(s), Relaydesk spool:    {spooled:8.0f} msg/s  ({spooled / null:.2f})")


if __name__ == "__main__":
    main()
