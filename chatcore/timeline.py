"""A contact's whole action history, newest first: page views, site events, dialogs and emails, and
"where from, how often" (visits, the first source, the sources their page views came from)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from chatcore.contact_history import PAGE_VIEW, SITE_EVENT
from chatcore.directory import dialogs_of_contact
from chatcore.models import Contact, ContactEvent, Conversation, Message, Source

KINDS = ("page", "event", "dialog", "email")
LIMIT = 200  # items a page shows; the history itself is bounded by [contacts]
SOURCES_SHOWN = 5


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # one of KINDS
    title: str
    url: str = ""  # the page's URL (page views)
    link: str = ""  # the desk's page for it (dialogs, emails)
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Sources:
    visits: int
    first_seen: datetime
    last_seen: datetime
    first_source: dict[str, str]
    counts: list[tuple[str, int]]  # where page views came from (UTM source or referrer host), most first
    page_views: int


def timeline(
    session: Session, contact_id: int, kinds: frozenset[str] = frozenset(KINDS)
) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    if kinds & {"page", "event"}:
        items += _events(session, contact_id, kinds)
    if "dialog" in kinds:
        items += [
            TimelineItem(d.created_at, "dialog", d.subject or f"#{d.id}", link=f"/inbox/{d.id}")
            for d in dialogs_of_contact(session, contact_id, LIMIT)
        ]
    if "email" in kinds:
        items += _emails(session, contact_id)
    return sorted(items, key=lambda item: item.at, reverse=True)[:LIMIT]


def _events(session: Session, contact_id: int, kinds: frozenset[str]) -> list[TimelineItem]:
    wanted = [kind for kind, name in ((PAGE_VIEW, "page"), (SITE_EVENT, "event")) if name in kinds]
    query = (
        select(ContactEvent)
        .where(ContactEvent.contact_id == contact_id, col(ContactEvent.kind).in_(wanted))
        .order_by(col(ContactEvent.created_at).desc(), col(ContactEvent.id).desc())
        .limit(LIMIT)
    )
    return [
        TimelineItem(
            row.created_at,
            "page" if row.kind == PAGE_VIEW else "event",
            row.title or row.url,
            url=row.url,
            details=tuple((str(k), str(v)) for k, v in sorted(row.properties.items())),
        )
        for row in session.exec(query)
    ]


def _emails(session: Session, contact_id: int) -> list[TimelineItem]:
    """Mail the contact sent (messages that came by email), newest first."""
    query = (
        select(Message)
        .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
        .where(
            Conversation.contact_id == contact_id,
            Message.source == Source.EMAIL,
            col(Message.is_note).is_(False),
        )
        .order_by(col(Message.id).desc())
        .limit(LIMIT)
    )
    return [
        TimelineItem(row.created_at, "email", row.text[:120], link=f"/inbox/{row.conversation_id}")
        for row in session.exec(query)
    ]


def sources(session: Session, contact: Contact) -> Sources:
    query = select(ContactEvent.properties).where(
        ContactEvent.contact_id == contact.id, ContactEvent.kind == PAGE_VIEW
    )
    counts: Counter[str] = Counter()
    views = 0
    for properties in session.exec(query):
        views += 1
        source = source_name(properties)
        if source:
            counts[source] += 1
    return Sources(
        visits=contact.visits,
        first_seen=contact.first_seen,
        last_seen=contact.last_seen,
        first_source={k: str(v) for k, v in contact.first_source.items() if v},
        counts=counts.most_common(SOURCES_SHOWN),
        page_views=views,
    )


def source_name(properties: Mapping[str, object]) -> str:
    """Where a page view came from: its UTM source, else the referrer's host; "" when neither."""
    utm = str(properties.get("utm_source") or "")
    if utm:
        return utm
    return urlsplit(str(properties.get("referrer") or "")).hostname or ""
