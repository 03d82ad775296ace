"""Who a contact is by email address.

An address typed into the chat is a claim: it is stored unverified and the desk neither routes mail by
it nor writes to it. An address becomes verified when mail comes from it (the contact made for that
mail), when its owner follows the confirmation link mailed to it, or when an operator saves it. One
contact holds a verified address (case-folded, unique); lookups take the oldest such contact.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from chatcore.contacts import change_email
from chatcore.models import AutoreplyLog, Contact, ContactEvent, Conversation


def verified_contact(session: Session, address: str) -> Contact | None:
    """The contact whose verified address this is, or None."""
    wanted = address.strip().lower()
    if not wanted:
        return None
    query = (
        select(Contact)
        .where(col(Contact.email) == wanted, col(Contact.email_verified_at).is_not(None))
        .order_by(col(Contact.id))
        .limit(1)
    )
    return session.exec(query).first()


def is_verified(contact: Contact) -> bool:
    return bool(contact.email) and contact.email_verified_at is not None


def claim_email(contact: Contact, address: str) -> bool:
    """The visitor says this is their address. True when it is unconfirmed, so its owner is to be asked
    (the confirmation mail is rate-limited, so saying it again and again sends no more)."""
    wanted = address.strip().lower()
    if (contact.email or "") == wanted:
        return contact.email_verified_at is None
    change_email(contact, wanted)
    contact.email_verified_at = None
    return True


def verify_email(session: Session, contact: Contact, address: str, now: datetime) -> Contact:
    """Make `address` a verified address. When another contact holds it verified already, both are one
    person: this contact's conversations (and its visitor id, when that one has none) move to the
    holder, which is returned."""
    wanted = address.strip().lower()
    holder = verified_contact(session, wanted)
    if holder is None or holder.id == contact.id:
        verified_before = contact.email == wanted and contact.email_verified_at is not None
        change_email(contact, wanted)
        contact.email_verified_at = contact.email_verified_at if verified_before else now
        session.add(contact)
        return contact
    merge_into(session, contact, holder)
    return holder


def merge_into(session: Session, contact: Contact, holder: Contact, *, take_visitor_id: bool = False) -> None:
    """Fold `contact` into `holder`: conversations, events and autoreply marks move. The visitor id
    moves when the holder has none, or always with `take_visitor_id` (the browser now in use)."""
    for model in (Conversation, ContactEvent, AutoreplyLog):
        session.execute(update(model).where(col(model.contact_id) == contact.id).values(contact_id=holder.id))
    holder.name = holder.name or contact.name
    contact.email = None
    contact.email_verified_at = None
    if (holder.visitor_id is None or take_visitor_id) and contact.visitor_id is not None:
        visitor_id, contact.visitor_id = contact.visitor_id, None
        session.add(contact)
        session.flush()  # the visitor id is unique: free it before the holder takes it
        holder.visitor_id = visitor_id
    session.add_all([contact, holder])
    session.flush()
