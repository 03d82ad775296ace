"""The header fields a mail is routed by, read leniently: addresses, Message-IDs and the date."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime

from inbound.headers import HeaderDecoder

_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
_ADDR_SPEC = re.compile(r"[^\s<>\"',;:()@]+@[^\s<>\"',;:()@]+")


def addresses(values: list[str], decoder: HeaderDecoder) -> list[tuple[str, str]]:
    """(display name, lower-cased addr-spec) pairs; a value getaddresses cannot read is searched."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        found = [(name, addr) for name, addr in getaddresses([value]) if "@" in addr]
        if not found:
            found = [("", match) for match in _ADDR_SPEC.findall(value)]
        pairs.extend((decoder.text("address", name), addr.strip().lower()) for name, addr in found)
    return pairs


def unique(values: list[str]) -> tuple[str, ...]:
    """The non-empty values, each once, in their first order."""
    return tuple(dict.fromkeys(value for value in values if value))


def message_ids(values: list[str]) -> list[str]:
    """Ids without their angle brackets; a value without brackets gives its words that hold an @."""
    ids: list[str] = []
    for value in values:
        found = _ANGLE_ID.findall(value)
        ids.extend(found or [token.strip("<>") for token in value.split() if "@" in token])
    return ids


def parse_date(value: str | None, defects: list[str]) -> datetime | None:
    """The Date header in UTC (no zone is read as UTC); None, with a defect, when unreadable."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        defects.append(f"unreadable Date header {value[:60]!r}")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
