"""An operator edits the person's card: name, email, phone, notes and properties.

Each field is checked on its own; a bad one raises ContactFieldError naming the field and the problem, and
nothing is changed. An email the operator saves is vouched for: it is no longer marked as bouncing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from chatcore.contacts import change_email, checked_address, clear_undeliverable
from chatcore.errors import DomainError
from chatcore.models import Contact

MAX_NAME = 200
MAX_PHONE = 40
MAX_NOTES = 10_000
MAX_PROPERTIES = 50
MAX_KEY = 100
MAX_VALUE = 1000
_PHONE = re.compile(r"^\+?[0-9 ()\-.]{3,40}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ContactFieldError(DomainError):
    """`code` is one of: too_long, email, phone, key, too_many."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code


@dataclass(frozen=True)
class ContactChanges:
    """None leaves a field as it is."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    notes: str | None = None
    properties: dict[str, str] | None = None


def edit_contact(session: Session, contact: Contact, changes: ContactChanges) -> Contact:
    """Check every given field, then apply them all; the caller commits."""
    name = _checked_line("name", changes.name, MAX_NAME)
    phone = _checked_phone(changes.phone)
    notes = _checked_notes(changes.notes)
    email = _checked_email(changes.email)
    properties = _checked_properties(changes.properties)
    if name is not None:
        contact.name = name
    if phone is not None:
        contact.phone = phone
    if notes is not None:
        contact.notes = notes
    if properties is not None:
        contact.properties = properties
    if email is not None:
        _apply_email(contact, email)
    session.add(contact)
    return contact


def _checked_line(field: str, value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    clean = " ".join(_CONTROL.sub("", value).split())
    if len(clean) > limit:
        raise ContactFieldError(field, "too_long", f"{field} is longer than {limit} characters")
    return clean


def _checked_phone(value: str | None) -> str | None:
    clean = _checked_line("phone", value, MAX_PHONE)
    if clean and not _PHONE.match(clean):
        raise ContactFieldError("phone", "phone", f"{clean!r} is not a phone number")
    return clean


def _checked_notes(value: str | None) -> str | None:
    if value is None:
        return None
    clean = _CONTROL.sub("", value.replace("\r\n", "\n")).strip()
    if len(clean) > MAX_NOTES:
        raise ContactFieldError("notes", "too_long", f"notes are longer than {MAX_NOTES} characters")
    return clean


def _checked_email(value: str | None) -> str | None:
    """ "" clears the address; anything else must be one."""
    if value is None or not value.strip():
        return value if value is None else ""
    try:
        return checked_address(value)
    except DomainError as problem:
        raise ContactFieldError("email", "email", str(problem)) from problem


def _checked_properties(value: dict[str, str] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if len(value) > MAX_PROPERTIES:
        raise ContactFieldError("properties", "too_many", f"at most {MAX_PROPERTIES} properties")
    clean: dict[str, Any] = {}
    for raw_key, raw_value in value.items():
        key = _checked_line("properties", raw_key, MAX_KEY)
        if not key:
            raise ContactFieldError("properties", "key", "a property needs a name")
        clean[key] = _checked_line("properties", raw_value, MAX_VALUE) or ""
    return clean


def _apply_email(contact: Contact, address: str) -> None:
    if not address:
        contact.email = None
        clear_undeliverable(contact)
        return
    change_email(contact, address)
    clear_undeliverable(contact)
