"""Contacts the site's own server knows by its id (`Contact.external_id`).

The site's server is authenticated by its key, so an address it sends counts as verified: it becomes
the contact's verified address, and when another contact already holds it verified the two are one
person (that contact is folded in, as when a visitor confirms an address). An address verified by a
contact with another external id is refused (409): two site users cannot share one.

A widget visitor whose user id the site vouched for (`data-user-hash`) is folded into the site's
contact (merge, not link): one card, one history, and the site contact takes the browser's visitor id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from chatcore.contact_card import ContactChanges, apply_changes
from chatcore.contacts import checked_address
from chatcore.errors import DomainError, FieldError
from chatcore.identity import merge_into, verified_contact, verify_email
from chatcore.models import Contact

EXTERNAL_ID_MAX = 200
_EXTERNAL_ID = re.compile(r"^[^\x00-\x20\x7f/]{1,200}$")


class Conflict(DomainError):
    """The change would take something another contact holds (HTTP 409)."""


@dataclass(frozen=True)
class SiteFields:
    """What the site sent; only the fields in `given` change. Properties are merged (null removes one)."""

    given: frozenset[str] = frozenset()
    name: str = ""
    email: str | None = None
    phone: str = ""
    properties: dict[str, Any] = field(default_factory=dict)


def checked_external_id(text: str) -> str:
    if not _EXTERNAL_ID.match(text):
        raise FieldError("external_id", f"1 to {EXTERNAL_ID_MAX} characters, no spaces, controls or /")
    return text


def by_external_id(session: Session, external_id: str) -> Contact | None:
    return session.exec(select(Contact).where(Contact.external_id == external_id)).first()


def upsert(session: Session, external_id: str, fields: SiteFields, now: datetime) -> tuple[Contact, bool]:
    """The site's contact with these fields; True when it was created."""
    external_id = checked_external_id(external_id)
    address = _checked_email(fields.email) if fields.email else None
    contact = by_external_id(session, external_id)
    holder = verified_contact(session, address) if address else None
    if holder is not None and holder.external_id not in (None, external_id):
        raise Conflict(f"{address} is the verified address of another site contact")
    created = contact is None
    if contact is None:
        contact = holder or Contact(first_seen=now, last_seen=now)
        contact.external_id = external_id
    apply_changes(contact, _card_changes(contact, fields))
    session.add(contact)
    session.flush()
    if address is not None:
        contact = _verified(session, contact, address, external_id, now)
    return contact, created


def _checked_email(text: str) -> str:
    try:
        return checked_address(text)
    except DomainError as error:
        raise FieldError("email", str(error)) from None


def _card_changes(contact: Contact, fields: SiteFields) -> ContactChanges:
    given = fields.given & {"name", "phone", "properties"}
    merged = {**contact.properties, **fields.properties}
    properties = {key: value for key, value in merged.items() if value is not None}
    return ContactChanges(given=given, name=fields.name, phone=fields.phone, properties=properties)


def _verified(session: Session, contact: Contact, address: str, external_id: str, now: datetime) -> Contact:
    keeper = verify_email(session, contact, address, now)
    if keeper.id != contact.id:  # folded into the contact that held the address: the id goes with it
        contact.external_id = None
        session.add(contact)
        session.flush()
        keeper.external_id = external_id
        session.add(keeper)
        session.flush()
    return keeper


def tie_visitor(session: Session, visitor: Contact, external_id: str) -> Contact:
    """The site's contact for a visitor whose user id the site vouched for (the caller checked the
    hash): the visitor's own contact when the site has none yet, else the site's, with the visitor's
    dialogs, page views and visits folded in."""
    external_id = checked_external_id(external_id)
    site = by_external_id(session, external_id)
    if site is None:
        visitor.external_id = external_id
        session.add(visitor)
        session.flush()
        return visitor
    if site.id == visitor.id:
        return site
    _fold_visits(visitor, site)
    merge_into(session, visitor, site, take_visitor_id=True)
    return site


def _fold_visits(visitor: Contact, site: Contact) -> None:
    earlier = visitor if visitor.first_seen < site.first_seen else site
    site.first_source = earlier.first_source or visitor.first_source or site.first_source
    site.first_seen = earlier.first_seen
    site.last_seen = max(site.last_seen, visitor.last_seen)
    site.visits += visitor.visits
    visitor.visits = 0
    visitor.first_source = {}
