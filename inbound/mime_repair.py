"""Repair of multiparts whose declared boundary never appears: re-split on the delimiter actually used."""

from __future__ import annotations

import re
from email.message import Message
from email.parser import BytesParser
from email.policy import Policy

from inbound.mime_parts import children

_DELIMITER_LINE = re.compile(rb'^--([^\s"]{1,200}?)(?:--)?[ \t]*\r?$', re.M)
_MAX_RECOVERIES = 5


def _recover_multipart(part: Message, mail_policy: Policy, defects: list[str]) -> bool:
    """Re-split a multipart whose declared boundary never appears, using the delimiter actually used."""
    body = part.get_payload(decode=True)
    if not isinstance(body, bytes):
        return False
    markers = [match.group(1) for match in _DELIMITER_LINE.finditer(body)]
    marker = next((m for m in markers if markers.count(m) > 1 or m + b"--" in body), None)
    if marker is None:
        return False
    head = f'Content-Type: {part.get_content_type()}; boundary="'.encode() + marker + b'"\r\n\r\n'
    recovered = BytesParser(policy=mail_policy).parsebytes(head + body)
    found = children(recovered)
    if not found:
        return False
    part.set_payload(list[Message | str](found))
    used = marker.decode("ascii", "replace")
    defects.append(f"multipart boundary did not match; parts recovered with {used!r}")
    return True


def repair_multiparts(message: Message, mail_policy: Policy, defects: list[str]) -> bool:
    """Recover broken multiparts in place; True when any was tried (the tree may have changed)."""
    recoveries = 0
    stack = [message]
    while stack:
        part = stack.pop()
        is_broken = part.get_content_maintype() == "multipart" and not part.is_multipart()
        if is_broken and recoveries < _MAX_RECOVERIES:
            recoveries += 1
            _recover_multipart(part, mail_policy, defects)
        if part.get_content_maintype() != "message":
            stack.extend(children(part))
    return recoveries > 0
