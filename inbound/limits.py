"""Hard limits on a mail (size, MIME parts, nesting depth, headers), checked on the raw bytes before the
recursive stdlib parser sees them and again on the parsed tree; a mail over one is MailRejected."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from chatcore.mail_reasons import MailCode, ReasonedError, mail_reason
from inbound.mime_parts import children


@dataclass(frozen=True)
class ParseLimits:
    max_size: int = 25 * 1024 * 1024
    max_parts: int = 200
    max_depth: int = 12
    max_headers: int = 1000


class MailRejected(ReasonedError):
    """The mail cannot be accepted; `detail` says why as a code, `reason` as an English sentence."""


_STRUCTURE_LINE = re.compile(rb"^(?:content-type:[^\n]*(?:\n[ \t][^\n]*)*|--[^\n]*)", re.I | re.M)
_BOUNDARY_PARAM = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))', re.I)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def _reject_parts(limits: ParseLimits) -> MailRejected:
    return MailRejected(mail_reason(MailCode.TOO_MANY_PARTS, limit=limits.max_parts))


def reject_depth(limits: ParseLimits) -> MailRejected:
    return MailRejected(mail_reason(MailCode.TOO_DEEP, limit=limits.max_depth))


def _reject_headers(limits: ParseLimits) -> MailRejected:
    return MailRejected(mail_reason(MailCode.TOO_MANY_HEADERS, limit=limits.max_headers))


def prescan(raw: bytes, limits: ParseLimits) -> None:
    """Cheap look at the raw bytes so hostile nesting never reaches the (recursive) stdlib parser."""
    if len(raw) > limits.max_size:
        raise MailRejected(mail_reason(MailCode.TOO_LARGE, size=len(raw), limit=limits.max_size))
    head = _HEADER_END.split(raw, maxsplit=1)[0]
    if sum(1 for line in head.splitlines() if line[:1] not in (b" ", b"\t")) > limits.max_headers:
        raise _reject_headers(limits)
    boundaries: list[bytes] = []
    parts = 0
    for match in _STRUCTURE_LINE.finditer(raw):
        line = match.group(0)
        if line.startswith(b"--"):
            parts += _close_boundaries(boundaries, line[2:].rstrip())
            if parts > limits.max_parts:
                raise _reject_parts(limits)
            continue
        declared = _BOUNDARY_PARAM.search(line)
        if declared and b"multipart" in line.lower():
            boundaries.append(declared.group(1) or declared.group(2))
            if len(boundaries) > limits.max_depth:
                raise reject_depth(limits)


def _close_boundaries(boundaries: list[bytes], marker: bytes) -> int:
    """Update the open-boundary stack for a delimiter line; 1 when the line starts a new part."""
    for index in range(len(boundaries) - 1, -1, -1):
        if marker == boundaries[index]:
            del boundaries[index + 1 :]
            return 1
        if marker == boundaries[index] + b"--":
            del boundaries[index:]
            return 0
    return 0


def check_tree(message: Message, limits: ParseLimits, defects: list[str]) -> None:
    """Enforce the limits on the parsed tree and collect the parser's defects."""
    stack: list[tuple[Message, int, str]] = [(message, 0, "1")]
    parts = 0
    while stack:
        part, depth, path = stack.pop()
        parts += 1
        if parts > limits.max_parts:
            raise _reject_parts(limits)
        if depth > limits.max_depth:
            raise reject_depth(limits)
        if len(part.keys()) > limits.max_headers:
            raise _reject_headers(limits)
        defects.extend(_defect_text(path, defect) for defect in part.defects)
        if part.get_content_type() == "message/delivery-status":
            continue  # its blocks are per-recipient fields, not MIME parts
        for number, child in enumerate(children(part), start=1):
            stack.append((child, depth + 1, f"{path}.{number}"))


def _defect_text(path: str, defect: Exception) -> str:
    detail = str(defect)
    name = type(defect).__name__
    return f"part {path}: {name}: {detail}" if detail and detail != name else f"part {path}: {name}"
