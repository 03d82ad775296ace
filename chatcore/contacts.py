"""A contact's email address: whether the desk may write to it, and what changes that.

A permanent bounce marks the address undeliverable; the mark goes when the visitor writes again from
it, when the address changes, or when an operator saves it (the operator vouches for it).
"""

from __future__ import annotations

import re
from datetime import datetime

from chatcore.errors import DomainError
from chatcore.models import Contact

MAX_REASON = 500
MAX_ADDRESS = 254
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\".]+(\.[^@\s<>,;\".]+)+$")


def can_email(contact: Contact) -> bool:
    """Only a verified address is written to: a claimed one gets the confirmation mail and nothing else."""
    return bool(contact.email) and contact.email_verified_at is not None and contact.undeliverable_at is None


def mark_undeliverable(contact: Contact, reason: str, now: datetime) -> None:
    contact.undeliverable_at = now
    contact.undeliverable_reason = " ".join(reason.split())[:MAX_REASON]


def clear_undeliverable(contact: Contact) -> bool:
    """True when there was a mark to clear."""
    marked = contact.undeliverable_at is not None
    contact.undeliverable_at = None
    contact.undeliverable_reason = ""
    return marked


def is_address(text: str) -> bool:
    """One address the desk can store and write to: local@domain, a dot in the domain, no empty label,
    nothing that could end an address list or a header (space, comma, quote, angle bracket), at most
    MAX_ADDRESS characters. The one rule of every form that takes an address (chat, card, profile)."""
    return len(text) <= MAX_ADDRESS and _ADDRESS.match(text) is not None


def checked_address(text: str) -> str:
    """The address as the desk stores it (trimmed, lower-cased); DomainError when it is not one."""
    address = text.strip().lower()
    if not is_address(address):
        raise DomainError(f"{text.strip()[:80]!r} is not an email address")
    return address


def change_email(contact: Contact, address: str) -> None:
    """A different address is not known to bounce; the same one keeps its mark."""
    if (contact.email or "").lower() != address.lower():
        clear_undeliverable(contact)
    contact.email = address
