"""The parts of a parsed MIME tree: walking them, and sorting the leaves into body text (plain, HTML)
and attachments (files, inline images, attached messages and delivery reports)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import Message

from inbound.charsets import decode_bytes
from inbound.headers import FOLD, HeaderDecoder, drop_nul, raw_bytes


@dataclass(frozen=True)
class MailAttachment:
    filename: str  # for display only (decoded); never used as a path
    content_type: str
    data: bytes
    content_id: str | None  # without <>
    inline: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Body:
    """Accumulates one mail's content while its tree is walked; never outlives parse_mail."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[MailAttachment] = field(default_factory=list)


def children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [child for child in payload if isinstance(child, Message)] if isinstance(payload, list) else []


def leaves(message: Message) -> Iterator[Message]:
    """Parts that carry content, in order; attached messages count as one leaf each."""
    stack = [message]
    while stack:
        part = stack.pop()
        found = children(part) if part.get_content_maintype() != "message" else []
        if found:
            stack.extend(reversed(found))
        else:
            yield part


def _part_text(part: Message, defects: list[str]) -> str:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    text, note = decode_bytes(data, part.get_content_charset())
    if note:
        defects.append(f"{part.get_content_type()} body: {note}")
    text = drop_nul(text, f"{part.get_content_type()} body", defects)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_like_html(text: str) -> bool:
    start = text.lstrip()[:200].lower()
    return start.startswith(("<!doctype html", "<html")) or "<body" in start


def _clean_filename(raw: str | None, decoder: HeaderDecoder) -> str:
    if not raw:
        return ""
    name = decoder.text("filename", raw)
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).replace("\\", "/").rsplit("/", 1)[-1]
    return name.strip()


def _message_bytes(part: Message) -> bytes:
    inner = children(part)
    if part.get_content_type() == "message/delivery-status":
        blocks = [
            "\r\n".join(f"{name}: {FOLD.sub('', value)}" for name, value in child.raw_items())
            for child in inner
        ]
        return raw_bytes("\r\n\r\n".join(blocks) + "\r\n")
    if inner:
        return inner[0].as_bytes(policy=policy.default.clone(refold_source="none", linesep="\r\n"))
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _content_id(part: Message, decoder: HeaderDecoder) -> str | None:
    raw = next((value for name, value in part.raw_items() if name.lower() == "content-id"), None)
    if raw is None:
        return None
    return decoder.unstructured("Content-ID", raw).strip().strip("<>").strip() or None


def add_leaf(part: Message, body: Body, decoder: HeaderDecoder, defects: list[str]) -> None:
    """Text parts that are not files join the body; everything else is an attachment."""
    content_type = drop_nul(part.get_content_type(), "Content-Type", defects)
    disposition = part.get_content_disposition()
    filename = _clean_filename(part.get_filename(), decoder)
    is_body_text = content_type in ("text/plain", "text/html") or part.get_content_maintype() == "multipart"
    if is_body_text and disposition != "attachment" and not filename:
        text = _part_text(part, defects)
        if content_type == "text/html" or ("content-type" not in part and _looks_like_html(text)):
            body.html.append(text)
        elif text.strip() or not body.plain:
            body.plain.append(text)
        return
    if part.get_content_maintype() == "message":
        data = _message_bytes(part)
    else:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
    content_id = _content_id(part, decoder)
    body.attachments.append(
        MailAttachment(
            filename=filename or _default_filename(content_type, len(body.attachments) + 1),
            content_type=content_type,
            data=data,
            content_id=content_id,
            inline=disposition == "inline" or (disposition is None and content_id is not None),
        )
    )


def _default_filename(content_type: str, number: int) -> str:
    if content_type.startswith("message/"):
        return f"message-{number}.eml" if content_type == "message/rfc822" else f"report-{number}.txt"
    if content_type.startswith("text/"):
        return f"attachment-{number}.txt"
    subtype = re.sub(r"[^a-z0-9]", "", content_type.partition("/")[2])[:10] or "bin"
    return f"attachment-{number}.{subtype}"
