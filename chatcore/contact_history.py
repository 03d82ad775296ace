"""What a contact did on the site: page views (the widget) and site events (the site API), with visits
counted and the first visit's source kept. Stored bounded: `days` back and `events` per contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from chatcore.errors import FieldError
from chatcore.models import Contact, ContactEvent

PAGE_VIEW = "page_view"
SITE_EVENT = "event"
VISIT_GAP = timedelta(minutes=30)  # a page view after this long without one starts a new visit
UTM_TAGS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
URL_MAX = 2_000
TITLE_MAX = 300
EVENT_NAME_MAX = 100
TAG_MAX = 200


@dataclass(frozen=True)
class HistoryLimits:
    """[contacts].history_days and history_events."""

    days: int = 365
    events: int = 1000


@dataclass(frozen=True)
class PageView:
    url: str
    title: str = ""
    referrer: str = ""


def utm_tags(url: str) -> dict[str, str]:
    """The UTM tags of a URL's query (the first of each), trimmed."""
    tags: dict[str, str] = {}
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=False):
        if name in UTM_TAGS and name not in tags:
            tags[name] = value.strip()[:TAG_MAX]
    return tags


def checked_url(text: str, field: str) -> str:
    clean = text.strip()
    if len(clean) > URL_MAX:
        raise FieldError(field, f"at most {URL_MAX} characters")
    if clean and urlsplit(clean).scheme not in ("http", "https"):
        raise FieldError(field, "an http or https URL")
    return clean


def record_page_view(
    session: Session, contact: Contact, view: PageView, now: datetime, limits: HistoryLimits
) -> ContactEvent:
    """Store the view, count the visit it belongs to and remember where the first visit came from."""
    url = checked_url(view.url, "url")
    if not url:
        raise FieldError("url", "the page's URL is missing")
    referrer = checked_url(view.referrer, "referrer")
    tags = utm_tags(url)
    properties: dict[str, Any] = {**tags, **({"referrer": referrer} if referrer else {})}
    if contact.visits == 0 or now - contact.last_seen > VISIT_GAP:
        contact.visits += 1
    if not contact.first_source:
        contact.first_source = {"referrer": referrer, **tags, "url": url}
    contact.last_seen = max(contact.last_seen or now, now)
    title = " ".join(view.title.split())[:TITLE_MAX]
    return _store(
        session,
        contact,
        ContactEvent(
            contact_id=_flushed(session, contact),
            kind=PAGE_VIEW,
            url=url,
            title=title,
            properties=properties,
            created_at=now,
        ),
        limits,
        now,
    )


def record_site_event(
    session: Session,
    contact: Contact,
    name: str,
    properties: dict[str, Any],
    at: datetime,
    now: datetime,
    limits: HistoryLimits,
) -> ContactEvent:
    clean = " ".join(name.split())
    if not clean or len(clean) > EVENT_NAME_MAX:
        raise FieldError("name", f"an event name has 1 to {EVENT_NAME_MAX} characters")
    if at > now + timedelta(minutes=5):
        raise FieldError("at", "the event's time is in the future")
    if at < now - timedelta(days=limits.days):
        raise FieldError("at", f"the event is older than the {limits.days} days of history kept")
    event = ContactEvent(
        contact_id=_flushed(session, contact),
        kind=SITE_EVENT,
        title=clean,
        properties=dict(properties),
        created_at=at,
    )
    return _store(session, contact, event, limits, now)


def _flushed(session: Session, contact: Contact) -> int:
    session.add(contact)
    session.flush()
    return contact.id or 0


def _store(
    session: Session, contact: Contact, event: ContactEvent, limits: HistoryLimits, now: datetime
) -> ContactEvent:
    session.add(event)
    session.flush()
    trim_contact(session, contact.id or 0, limits, now)
    return event


def trim_contact(session: Session, contact_id: int, limits: HistoryLimits, now: datetime) -> int:
    """Keep the contact's newest `limits.events` within `limits.days`; returns how many went."""
    gone = _delete(
        session,
        col(ContactEvent.contact_id) == contact_id,
        col(ContactEvent.created_at) < now - timedelta(days=limits.days),
    )
    count = session.exec(select(func.count()).where(ContactEvent.contact_id == contact_id)).one()
    if count <= limits.events:
        return gone
    keep_from = session.exec(
        select(ContactEvent.created_at, ContactEvent.id)
        .where(ContactEvent.contact_id == contact_id)
        .order_by(col(ContactEvent.created_at).desc(), col(ContactEvent.id).desc())
        .offset(limits.events - 1)
        .limit(1)
    ).one()
    at, event_id = keep_from
    older = (col(ContactEvent.created_at) < at) | (
        (col(ContactEvent.created_at) == at) & (col(ContactEvent.id) < event_id)
    )
    return gone + _delete(session, col(ContactEvent.contact_id) == contact_id, older)


def prune(session: Session, now: datetime, limits: HistoryLimits) -> int:
    """Every contact's events older than `limits.days` (the scheduler runs this; the caller commits)."""
    return _delete(session, col(ContactEvent.created_at) < now - timedelta(days=limits.days))


def _delete(session: Session, *where: Any) -> int:
    result = session.execute(delete(ContactEvent).where(*where))
    return int(getattr(result, "rowcount", 0) or 0)


def recent_page_views(session: Session, contact_id: int, limit: int = 5) -> list[ContactEvent]:
    query = (
        select(ContactEvent)
        .where(ContactEvent.contact_id == contact_id, ContactEvent.kind == PAGE_VIEW)
        .order_by(col(ContactEvent.created_at).desc(), col(ContactEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))
