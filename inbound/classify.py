"""Decide whether an inbound mail was written by a person, and if not, what kind of machine sent it.

Order matters: our own mail coming back (LOOP) first, then delivery reports (BOUNCE), then the RFC 3834
and vendor auto-reply markers, mailing-list markers, Precedence, and last an empty return path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from inbound.parse import ParsedMail

ORIGIN_HEADER = "X-Relaydesk-Origin"
_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
_LIST_HEADERS = ("List-Id", "List-Unsubscribe")
_DELIVERY_STATUS = "message/delivery-status"
_REPORT_TYPE = re.compile(r"report-type\s*=\s*\"?delivery-status\b", re.I)
_STATUS_CODE = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")


class MailKind(StrEnum):
    HUMAN = "human"
    AUTO = "auto"
    BOUNCE = "bounce"
    LIST = "list"
    LOOP = "loop"


@dataclass(frozen=True)
class Classification:
    kind: MailKind
    reason: str
    bounced_recipients: tuple[str, ...] = ()
    bounce_permanent: bool = False
    bounce_diagnostic: str = ""  # what the failing server said, e.g. "550 5.1.1 ... User unknown"

    @property
    def is_automatic(self) -> bool:
        return self.kind is not MailKind.HUMAN


def classify(
    mail: ParsedMail, envelope_sender: str | None, *, own_addresses: frozenset[str], own_origin: str
) -> Classification:
    """Classify one parsed mail; `envelope_sender` is None when unknown (IMAP), "" or "<>" when null."""
    return (
        _loop(mail, own_addresses, own_origin)
        or _bounce(mail)
        or _auto_header(mail)
        or _other_report(mail)
        or _list(mail)
        or _precedence(mail)
        or _null_sender(mail, envelope_sender)
        or Classification(MailKind.HUMAN, "no automatic-mail marker")
    )


def _without_tag(address: str) -> str:
    local, at, domain = address.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}{at}{domain}"


def _loop(mail: ParsedMail, own_addresses: frozenset[str], own_origin: str) -> Classification | None:
    origins = [value.strip() for value in mail.header_all(ORIGIN_HEADER)]
    if own_origin and own_origin in origins:
        return Classification(MailKind.LOOP, f"{ORIGIN_HEADER}: {own_origin}")
    ours = {_without_tag(address) for address in own_addresses}
    if mail.from_address and _without_tag(mail.from_address) in ours:
        return Classification(MailKind.LOOP, f"From is our own address {mail.from_address}")
    return None


def _bounce(mail: ParsedMail) -> Classification | None:
    content_type = mail.header("Content-Type") or ""
    is_report = content_type.lower().lstrip().startswith("multipart/report") and bool(
        _REPORT_TYPE.search(content_type)
    )
    reports = [a.data for a in mail.attachments if a.content_type == _DELIVERY_STATUS]
    if not is_report or not reports:
        return None
    failed: list[str] = []
    permanent = False
    diagnostics: list[str] = []
    for report in reports:
        for fields in _recipient_blocks(report.decode("utf-8", errors="replace")):
            if fields.get("action", "").lower() != "failed":
                continue
            recipient = _recipient(fields)
            if recipient and recipient not in failed:
                failed.append(recipient)
            status = _STATUS_CODE.search(fields.get("status", ""))
            permanent = permanent or (status is not None and status.group(1) == "5")
            diagnostics.append(_diagnostic(fields))
    if not failed:
        return Classification(MailKind.BOUNCE, "delivery status notification without failed recipients")
    kind = "permanent" if permanent else "temporary"
    reason = f"delivery status notification: {kind} failure for {', '.join(failed)}"
    diagnostic = next(filter(None, diagnostics), "")
    return Classification(MailKind.BOUNCE, reason, tuple(failed), permanent, diagnostic)


def _diagnostic(fields: dict[str, str]) -> str:
    """`Diagnostic-Code: smtp; 550 5.1.1 ...` without its type; else the bare `Status`."""
    code = fields.get("diagnostic-code", "")
    text = " ".join((code.partition(";")[2] if ";" in code else code).split())
    return text or (f"status {fields['status']}" if fields.get("status") else "")


def _recipient_blocks(report: str) -> list[dict[str, str]]:
    """Field groups of a message/delivery-status body (RFC 3464), names lower-cased, lines unfolded."""
    unfolded = re.sub(r"\r?\n[ \t]+", " ", report.replace("\r\n", "\n"))
    blocks: list[dict[str, str]] = []
    for chunk in re.split(r"\n\s*\n", unfolded):
        fields: dict[str, str] = {}
        for line in chunk.split("\n"):
            name, colon, value = line.partition(":")
            if colon and name.strip():
                fields.setdefault(name.strip().lower(), value.strip())
        if fields:
            blocks.append(fields)
    return blocks


def _recipient(fields: dict[str, str]) -> str:
    value = fields.get("final-recipient") or fields.get("original-recipient") or ""
    address = value.partition(";")[2] if ";" in value else value
    return address.strip().strip("<>").strip().lower()


def _auto_header(mail: ParsedMail) -> Classification | None:
    auto_submitted = (mail.header("Auto-Submitted") or "").strip()
    if auto_submitted and auto_submitted.split(";", 1)[0].strip().lower() != "no":
        return Classification(MailKind.AUTO, f"Auto-Submitted: {auto_submitted}")
    for name in _AUTOREPLY_HEADERS:
        value = mail.header(name)
        if value is not None:
            return Classification(MailKind.AUTO, f"{name}: {value.strip()}".rstrip(": "))
    return None


def _other_report(mail: ParsedMail) -> Classification | None:
    """Read receipts and other RFC 6522 reports are machine-made even without Auto-Submitted."""
    content_type = (mail.header("Content-Type") or "").strip()
    if content_type.lower().startswith("multipart/report"):
        return Classification(MailKind.AUTO, f"Content-Type: {content_type.split(';', 1)[0]}")
    return None


def _list(mail: ParsedMail) -> Classification | None:
    for name in _LIST_HEADERS:
        value = mail.header(name)
        if value is not None:
            return Classification(MailKind.LIST, f"{name}: {value.strip()}"[:200])
    return None


def _precedence(mail: ParsedMail) -> Classification | None:
    """`list` marks list traffic; `bulk` and `junk` mark machine mail that is not a list (auto-replies
    send `bulk` too), so they are AUTO rather than LIST."""
    value = (mail.header("Precedence") or "").strip().lower()
    if value == "list":
        return Classification(MailKind.LIST, "Precedence: list")
    if value in ("bulk", "junk"):
        return Classification(MailKind.AUTO, f"Precedence: {value}")
    return None


def _null_sender(mail: ParsedMail, envelope_sender: str | None) -> Classification | None:
    sender = envelope_sender
    source = "envelope sender"
    if sender is None:
        sender = mail.header("Return-Path")
        source = "Return-Path"
    if sender is not None and sender.strip() in ("", "<>"):
        return Classification(MailKind.AUTO, f"empty {source} (<>)")
    return None
