"""What an operator may write on a contact's card: each field checked, the first bad one named."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from chatcore.contacts import change_email, checked_address, clear_undeliverable
from chatcore.errors import DomainError, FieldError
from chatcore.models import Contact

NAME_MAX = 200
PHONE_MAX = 40
NOTES_MAX = 20_000
PROPERTIES_MAX = 100
PROPERTY_KEY_MAX = 100
PROPERTY_VALUE_MAX = 1_000
_PHONE = re.compile(r"^\+?[0-9 ()\-.]*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class ContactChanges:
    """Only the fields named in `given` change; `email=None` there clears the address."""

    given: frozenset[str] = frozenset()
    name: str = ""
    email: str | None = None
    phone: str = ""
    notes: str = ""
    properties: dict[str, Any] = field(default_factory=dict)


def apply_changes(contact: Contact, changes: ContactChanges) -> tuple[str, ...]:
    """Check every given field, then change them all: on a FieldError nothing has changed.
    Returns the names of the fields whose value is now different."""
    values = {name: _checked(name, changes) for name in sorted(changes.given)}
    changed = tuple(name for name, value in values.items() if getattr(contact, name) != value)
    for name in changed:
        if name == "email":
            _set_email(contact, values[name])
        else:
            setattr(contact, name, values[name])
    if "email" in values and "email" not in changed:
        clear_undeliverable(contact)  # the operator vouches for the address they saved again
    return changed


def _checked(name: str, changes: ContactChanges) -> Any:
    if name == "name":
        return _checked_line(changes.name, "name", NAME_MAX)
    if name == "email":
        return _checked_email(changes.email)
    if name == "phone":
        return _checked_phone(changes.phone)
    if name == "notes":
        return _checked_notes(changes.notes)
    if name == "properties":
        return checked_properties(changes.properties)
    raise FieldError(name, f"{name} is not a field of a contact")


def _checked_line(text: str, name: str, limit: int) -> str:
    clean = " ".join(_CONTROL.sub(" ", text).split())
    if len(clean) > limit:
        raise FieldError(name, f"at most {limit} characters")
    return clean


def _checked_email(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        return checked_address(text)
    except DomainError as error:
        raise FieldError("email", str(error)) from error


def _checked_phone(text: str) -> str:
    clean = " ".join(text.split())
    if len(clean) > PHONE_MAX or not _PHONE.match(clean) or (clean and not re.search(r"[0-9]", clean)):
        raise FieldError("phone", "a phone number has digits, spaces, +, -, ( and ) only")
    return clean


def _checked_notes(text: str) -> str:
    clean = _CONTROL.sub("", text).strip()
    if len(clean) > NOTES_MAX:
        raise FieldError("notes", f"at most {NOTES_MAX} characters")
    return clean


def checked_properties(properties: dict[str, Any]) -> dict[str, Any]:
    if len(properties) > PROPERTIES_MAX:
        raise FieldError("properties", f"at most {PROPERTIES_MAX} properties")
    for key, value in properties.items():
        if not key.strip() or len(key) > PROPERTY_KEY_MAX:
            raise FieldError("properties", f"a property name has 1 to {PROPERTY_KEY_MAX} characters")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise FieldError(f"properties.{key}", "a property is a string, a number, true, false or null")
        if len(json.dumps(value, ensure_ascii=False)) > PROPERTY_VALUE_MAX:
            raise FieldError(f"properties.{key}", f"at most {PROPERTY_VALUE_MAX} characters")
    return dict(properties)


def _set_email(contact: Contact, address: str | None) -> None:
    if address is None:
        contact.email = None
        clear_undeliverable(contact)
        return
    change_email(contact, address)
    clear_undeliverable(contact)
