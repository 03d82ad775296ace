"""/api/v1/contacts: the person's card, edited field by field, and what they did on the site."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select

from chatcore.contact_card import ContactChanges
from chatcore.models import Contact, ContactEvent
from chatcore.services import Desk
from webui.api.endpoint import ApiCall
from webui.api.errors import ApiError
from webui.api.schemas import ContactChangesBody
from webui.api.views import contact_event_json, contact_json


def _contact(call: ApiCall) -> Contact:
    contact_id = call.path_id("contact_id", "contact")
    contact = call.session.get(Contact, contact_id)
    if contact is None:
        raise ApiError(404, f"contact {contact_id} does not exist")
    return contact


def get_contact(call: ApiCall) -> dict[str, Any]:
    return contact_json(_contact(call))


def change_contact(call: ApiCall) -> dict[str, Any]:
    """Only the fields sent change; a bad one is named (422) and then nothing has changed."""
    contact = _contact(call)
    body = call.body(ContactChangesBody)
    given = body.model_fields_set
    if "name" in given and body.name is None:
        raise ApiError(422, "name is a string", "name")
    changes = ContactChanges(
        given=frozenset(given),
        name=body.name or "",
        email=body.email,
        phone=body.phone or "",
        notes=body.notes or "",
        properties=body.properties or {},
    )
    call.commit(Desk(call.session, call.deps.clock.now()).edit_contact(contact, call.operator, changes))
    return contact_json(contact)


def contact_events(call: ApiCall) -> dict[str, Any]:
    """Page views and site events, newest first; before=ID pages back."""
    contact = _contact(call)
    limit = call.query_int("limit", 50, 1, 100)
    before = call.query_id("before")
    query = select(ContactEvent).where(ContactEvent.contact_id == contact.id)
    if before is not None:
        query = query.where(_older_than(call, contact, before))
    newest_first = (col(ContactEvent.created_at).desc(), col(ContactEvent.id).desc())
    rows = list(call.session.exec(query.order_by(*newest_first).limit(limit + 1)))
    page = rows[:limit]
    has_more = len(rows) > limit
    return {
        "items": [contact_event_json(row) for row in page],
        "next_before": page[-1].id if has_more and page else None,
    }


def _older_than(call: ApiCall, contact: Contact, event_id: int) -> ColumnElement[bool]:
    """Events after `event_id` in newest-first order (a site may report events late, with their time)."""
    mark = call.session.get(ContactEvent, event_id)
    if mark is None or mark.contact_id != contact.id:
        raise ApiError(422, f"event {event_id} is not one of this contact's", "before")
    at = col(ContactEvent.created_at)
    return or_(at < mark.created_at, and_(at == mark.created_at, col(ContactEvent.id) < event_id))
