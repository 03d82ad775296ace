"""Imported history adds nothing to an operator's unread badges; mail arriving now still does."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from bridge.context import Context
from bridge.inbound_store import IMPORT_PREFIX, store_raw
from bridge.pipeline import process_pending
from tests.webui.conftest import log_in

_ROW = re.compile(r'<li class="row[^"]*"[^>]*>(.*?)</li>', re.S)
_SUBJECT = re.compile(r'<span class="subject">(.*?)</span>')
_BADGE = re.compile(r'<span class="badge">(\d+)</span>')


def mail(sender: str, message_id: str, subject: str, body: str, *, reply_to: str = "") -> bytes:
    threading = f"In-Reply-To: <{reply_to}>\r\n" if reply_to else ""
    return (
        f"From: {sender}\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
        f"Date: Mon, 02 Mar 2026 09:00:00 +0300\r\nMessage-ID: <{message_id}>\r\n{threading}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def arrive(context: Context, key: str, raw: bytes) -> None:
    assert store_raw(context, key, raw, "sender@example.net", ["support@example.com"])
    process_pending(context)


def badges(client: TestClient) -> dict[str, int]:
    """Subject → the unread count the inbox shows (0 when it shows none)."""
    page = client.get("/inbox").text
    shown = {}
    for row in _ROW.findall(page):
        subject = _SUBJECT.findall(row)[0]
        badge = _BADGE.search(row)
        shown[subject] = int(badge.group(1)) if badge else 0
    return shown


def test_imported_mail_leaves_unread_counts_as_they_were(
    client: TestClient, context: Context, operator_id: int
) -> None:
    log_in(client)
    arrive(context, "smtp:read", mail("Vera <vera@example.net>", "v1@example.net", "Order", "Where is it?"))
    arrive(context, "smtp:unread", mail("Tom <tom@example.org>", "t1@example.net", "Invoice", "Send it"))
    assert badges(client) == {"Order": 1, "Invoice": 1}
    [order_link] = re.findall(
        r'href="(/inbox/\d+)">\s*<span class="row-top">\s*<span class="who">Vera', client.get("/inbox").text
    )
    assert client.get(order_link).status_code == 200  # Olga reads Vera's conversation
    assert badges(client) == {"Order": 0, "Invoice": 1}

    history = [
        mail(
            "Vera <vera@example.net>",
            "v0@example.net",
            "Re: Order",
            "Earlier: thanks",
            reply_to="v1@example.net",
        ),
        mail(
            "Tom <tom@example.org>", "t0@example.net", "Re: Invoice", "Earlier too", reply_to="t1@example.net"
        ),
        mail("Ann <ann@example.org>", "a1@example.net", "Old thread", "Hello"),
        mail("Ann <ann@example.org>", "a2@example.net", "Re: Old thread", "Again", reply_to="a1@example.net"),
    ]
    for number, raw in enumerate(history):
        arrive(context, f"{IMPORT_PREFIX}history.mbox:{number}", raw)

    assert badges(client) == {"Order": 0, "Invoice": 2, "Old thread": 0}, (
        "read conversations stay read, history alone is never unread; an unread one keeps its badge"
    )
    arrive(
        context,
        "smtp:new",
        mail("Ann <ann@example.org>", "a3@example.net", "Re: Old thread", "Now?", reply_to="a2@example.net"),
    )
    assert badges(client)["Old thread"] == 1, "mail arriving now is unread as always"
