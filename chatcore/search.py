"""Full-text search: a query in, dialogs out, best match first, each with a highlighted excerpt.

A query is words, "quoted phrases", email addresses and phone numbers. A dialog matches when each of
them is found somewhere in it: a message (its cleaned text or an attachment's name), the subject, or
its contact (name, email, phone, notes). Words match other forms of themselves (chatcore/search_terms.py).

The score is the same on SQLite and PostgreSQL, so both order results alike: for each part of the query,
one point per message that has it, three for the subject or the contact; ties go to the dialog with
the newest activity. See `find` for how a query with common words stays fast.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, text, type_coerce
from sqlalchemy import select as select_columns
from sqlalchemy.types import NullType
from sqlmodel import Session, col

from chatcore.models import Attachment, Contact, Conversation, Message, SearchText
from chatcore.search_index import ORDINAL_BITS, ORDINAL_MASK, message_document, person_document
from chatcore.search_terms import address_parts, is_phone, normalized, query_phone_term, tokens

MAX_QUERY_PARTS = 8
EXCERPT_CHARS = 160
SUBJECT_POINTS = 2  # added to the one point of the subject's own match: three in all
PERSON_POINTS = 3
CANDIDATE_TEXTS = 2000  # texts of the rarest part that pick the candidates (see `scores`)
PER_DIALOG_LOOKUPS = 300  # up to this many candidates, another part is looked up dialog by dialog
_QUOTED = re.compile(r'"([^"]*)"?')
_EMAIL_ONLY = re.compile(r"^[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+$")
_PHONE_RUN = re.compile(r"\+?\d[\d\s()\-]{5,}\d")


@dataclass(frozen=True)
class Term:
    """One part of a query: a term, or terms that must follow each other (a phrase)."""

    terms: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    parts: tuple[Term, ...]

    @property
    def highlighted(self) -> frozenset[str]:
        return frozenset(term for part in self.parts for term in part.terms)


@dataclass(frozen=True)
class SearchHit:
    conversation_id: int
    score: int
    excerpt: str  # HTML: escaped text with the matches in <mark>


def parse_query(query: str) -> Query:
    """The parts of a query; words without letters or digits are dropped, duplicates kept once."""
    parts: list[Term] = []
    rest = query
    for match in _QUOTED.finditer(query):
        parts.append(Term(tuple(token.term for token in tokens(match.group(1)))))
    rest = _QUOTED.sub(" ", rest)
    for match in _PHONE_RUN.finditer(rest):
        if is_phone(match.group()):
            parts.append(Term((query_phone_term(match.group()),)))
            rest = rest.replace(match.group(), " ", 1)
    for chunk in rest.split():
        parts.append(_chunk_term(chunk))
    unique = dict.fromkeys(part for part in parts if part.terms)
    return Query(tuple(unique)[:MAX_QUERY_PARTS])


def _chunk_term(chunk: str) -> Term:
    """A bare chunk: an address stays whole; "acme.com" or "счёт-фактура" is a phrase of its words."""
    clean = normalized(chunk).strip(".,;:!?()[]{}<>'«»")
    if _EMAIL_ONLY.match(clean):
        return Term((clean,))
    return Term(tuple(token.term for token in tokens(clean)))


# ---------------------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """What a query matched: each dialog's score, and the text (doc id) to show for it."""

    scores: dict[int, int]
    shown: dict[int, int]  # conversation id -> its first matching message (else its subject)


def ranked(
    session: Session,
    found: Found,
    conditions: Sequence[ColumnElement[bool]] = (),
    params: Mapping[str, Any] | None = None,
    joined: Callable[[Select[*tuple[Any, ...]]], Select[*tuple[Any, ...]]] | None = None,
) -> list[tuple[int, int]]:
    """(conversation_id, score) of the dialogs `found` that meet `conditions` (on Conversation, with
    the values of their bound `params`, and the tables `joined` adds to the query), best first:
    highest score, then newest activity, then id."""
    if not found.scores:
        return []
    # The activity is only compared, so it is read as the database gives it (no datetime parsing).
    activity = type_coerce(col(Conversation.last_activity_at), NullType())
    statement: Select[*tuple[Any, ...]] = select_columns(col(Conversation.id), activity)
    if joined is not None:
        statement = joined(statement)
    statement = statement.where(col(Conversation.id).in_(list(found.scores)), *conditions)
    rows = [
        (int(key or 0), found.scores[int(key or 0)], when)
        for key, when in session.connection().execute(statement, dict(params or {}))
    ]
    rows.sort(key=lambda row: (row[1], row[2], row[0]), reverse=True)
    return [(key, score) for key, score, _ in rows]


def find(connection: Connection, query: Query) -> Found:
    """Every dialog that has each part of `query`, with its score.

    The rarest part (by a count that stops at CANDIDATE_TEXTS) picks the candidates: its texts (all
    of them, or the newest CANDIDATE_TEXTS when it is in more) and the dialogs of contacts that have
    it. Each other part then keeps the candidates that have it too, looked up among the candidates
    only. So a query costs about the same with common words as with rare ones; a query whose every
    part is in more than CANDIDATE_TEXTS texts ranks the dialogs of the newest of them."""
    found = Found({}, {})
    if not query.parts:
        return found
    index = _Index(connection)
    # Each part's newest texts, one more than the cap: how many there are, up to "too many to take".
    newest = [index.newest(part, CANDIDATE_TEXTS + 1) for part in query.parts]
    people = [index.people(part) for part in query.parts]
    order = sorted(range(len(query.parts)), key=lambda i: (len(newest[i]) + len(people[i]), i))
    for doc in newest[order[0]][:CANDIDATE_TEXTS]:
        _count_text(found, doc)
    for conversation_id in people[order[0]]:
        found.scores[conversation_id] = found.scores.get(conversation_id, 0) + PERSON_POINTS
    for number in order[1:]:
        found = _keep_those_with(index, found, query.parts[number], newest[number], people[number])
    return found


def _keep_those_with(index: _Index, before: Found, part: Term, newest: list[int], people: set[int]) -> Found:
    """The candidates that have `part` too, with its points added. `newest` are the part's newest
    texts, all of them when there are no more than CANDIDATE_TEXTS."""
    candidates = before.scores
    found = Found({}, dict(before.shown))
    if len(newest) <= CANDIDATE_TEXTS:
        docs = newest
    elif len(candidates) <= PER_DIALOG_LOOKUPS:
        docs = index.within(part, sorted(candidates))
    else:
        docs = index.since(part, min(candidates) << ORDINAL_BITS)
    for doc in docs:
        if doc >> ORDINAL_BITS in candidates:
            _count_text(found, doc)
    for conversation_id in people & candidates.keys():
        found.scores[conversation_id] = found.scores.get(conversation_id, 0) + PERSON_POINTS
    scores = {key: candidates[key] + found.scores[key] for key in candidates if key in found.scores}
    return Found(scores, {key: doc for key, doc in found.shown.items() if key in scores})


def _count_text(found: Found, doc: int) -> None:
    """Count a matching text for its dialog; the dialog shows its earliest matching message."""
    conversation_id = doc >> ORDINAL_BITS
    subject = (doc & ORDINAL_MASK) == 0
    found.scores[conversation_id] = (
        found.scores.get(conversation_id, 0) + 1 + (SUBJECT_POINTS if subject else 0)
    )
    shown = found.shown.get(conversation_id)
    if shown is None or _shows_before(doc, shown):
        found.shown[conversation_id] = doc


def _shows_before(doc: int, other: int) -> bool:
    """Messages before the subject (the list shows the subject anyway), earlier messages first."""
    return ((doc & ORDINAL_MASK) == 0, doc) < ((other & ORDINAL_MASK) == 0, other)


class _Index:
    """The few lookups the search makes, in the words of each database."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.sqlite = connection.dialect.name == "sqlite"
        self.statements = _SQLITE if self.sqlite else _POSTGRES

    def _text(self, part: Term) -> str:
        return fts_query(part) if self.sqlite else tsquery(part)

    def _ids(self, name: str, **params: Any) -> list[int]:
        return [row[0] for row in self.connection.execute(self.statements[name], params)]

    def newest(self, part: Term, cap: int) -> list[int]:
        return self._ids("newest", q=self._text(part), cap=cap)

    def within(self, part: Term, conversation_ids: list[int]) -> list[int]:
        """The part's texts in these dialogs: on SQLite a seek per dialog (in-process, cheap); on
        PostgreSQL one statement, a range of the primary key per dialog."""
        if not self.sqlite:
            return self._ids("within", q=self._text(part), conversations=conversation_ids)
        found: list[int] = []
        for conversation_id in conversation_ids:
            low = conversation_id << ORDINAL_BITS
            found.extend(self._ids("within", q=self._text(part), low=low, high=low + ORDINAL_MASK))
        return found

    def since(self, part: Term, low: int) -> list[int]:
        return self._ids("since", q=self._text(part), low=low)

    def people(self, part: Term) -> set[int]:
        return set(self._ids("people", q=self._text(part)))


# SQL text here is constant; what the user typed is always a bound parameter.
_SQLITE = {
    "newest": text(
        "SELECT rowid FROM searchtext_fts WHERE searchtext_fts MATCH :q ORDER BY rowid DESC LIMIT :cap"
    ),
    "within": text(
        "SELECT rowid FROM searchtext_fts WHERE searchtext_fts MATCH :q AND rowid >= :low AND rowid <= :high"
    ),
    "since": text("SELECT rowid FROM searchtext_fts WHERE searchtext_fts MATCH :q AND rowid >= :low"),
    "people": text(
        "SELECT conversation.id FROM searchperson_fts "
        "JOIN conversation ON conversation.contact_id = searchperson_fts.rowid "
        "AND conversation.merged_into_id IS NULL "
        "WHERE searchperson_fts MATCH :q"
    ),
}
_POSTGRES = {
    "newest": text(
        "SELECT id FROM searchtext WHERE vector @@ CAST(:q AS tsquery) ORDER BY id DESC LIMIT :cap"
    ),
    "within": text(
        f"SELECT searchtext.id FROM unnest(CAST(:conversations AS bigint[])) AS dialog(id) "  # noqa: S608
        f"JOIN searchtext ON searchtext.id >= dialog.id << {ORDINAL_BITS} "
        f"AND searchtext.id <= (dialog.id << {ORDINAL_BITS}) + {ORDINAL_MASK} "
        "WHERE searchtext.vector @@ CAST(:q AS tsquery)"
    ),
    "since": text("SELECT id FROM searchtext WHERE vector @@ CAST(:q AS tsquery) AND id >= :low"),
    "people": text(
        "SELECT conversation.id FROM searchperson "
        "JOIN conversation ON conversation.contact_id = searchperson.id "
        "AND conversation.merged_into_id IS NULL "
        "WHERE searchperson.vector @@ CAST(:q AS tsquery)"
    ),
}


def fts_query(part: Term) -> str:
    """FTS5 syntax: the terms as one quoted string, which FTS5 reads as a phrase."""
    return '"' + " ".join(part.terms).replace('"', '""') + '"'


def tsquery(part: Term) -> str:
    """PostgreSQL tsquery text: the terms joined by <-> (followed by)."""
    return " <-> ".join(_lexeme(term) for term in part.terms)


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------------
# The search itself
# ---------------------------------------------------------------------------------------------------


def search_conversations(
    session: Session,
    query: str,
    limit: int = 50,
    *,
    status: str | None = None,
    assignee_id: int | None = None,
    contact_id: int | None = None,
) -> list[SearchHit]:
    """Dialogs matching `query`, best first, at most `limit`, narrowed by the filters given."""
    parsed = parse_query(query)
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(col(Conversation.status) == status)
    if assignee_id is not None:
        conditions.append(col(Conversation.assignee_id) == assignee_id)
    if contact_id is not None:
        conditions.append(col(Conversation.contact_id) == contact_id)
    found = find(session.connection(), parsed)
    best = ranked(session, found, conditions)[:limit]
    shown = excerpts(session, parsed, found, [key for key, _ in best])
    return [SearchHit(key, score, shown.get(key, "")) for key, score in best]


def excerpts(session: Session, query: Query, found: Found, conversation_ids: Sequence[int]) -> dict[int, str]:
    """For each dialog, its first message that has a part of `query` (else the subject, else the
    contact), cut around the match and highlighted. Three queries for any number of dialogs."""
    if not conversation_ids:
        return {}
    first = {key: found.shown[key] for key in conversation_ids if key in found.shown}
    documents = _documents(session, conversation_ids, first)
    return {key: excerpt(documents.get(key, ""), query.highlighted) for key in conversation_ids}


def _documents(session: Session, conversation_ids: Sequence[int], first: dict[int, int]) -> dict[int, str]:
    """The text each first match was made from: a message with its attachment names, or the subject;
    the contact's fields for a dialog that matched by its contact only."""
    connection = session.connection()
    message_of: dict[int, int | None] = {}
    for doc_id, message_id in connection.execute(
        select_columns(col(SearchText.id), col(SearchText.message_id)).where(
            col(SearchText.id).in_(list(first.values()))
        )
    ):
        message_of[doc_id] = message_id
    wanted = [m for m in message_of.values() if m is not None]
    bodies: dict[int, str] = {}
    for message_id, body in connection.execute(
        select_columns(col(Message.id), col(Message.text)).where(col(Message.id).in_(wanted))
    ):
        bodies[int(message_id or 0)] = body
    names: dict[int, list[str]] = {}
    for owner, filename in connection.execute(
        select_columns(col(Attachment.message_id), col(Attachment.filename)).where(
            col(Attachment.message_id).in_(wanted)
        )
    ):
        if filename:
            names.setdefault(owner, []).append(filename)
    rows = connection.execute(
        select_columns(
            col(Conversation.id),
            col(Conversation.subject),
            col(Contact.name),
            col(Contact.email),
            col(Contact.phone),
            col(Contact.notes),
        )
        .join(Contact, col(Contact.id) == col(Conversation.contact_id))
        .where(col(Conversation.id).in_(list(conversation_ids)))
    )
    documents: dict[int, str] = {}
    for row_id, subject, name, email, phone, notes in rows:
        conversation_id = int(row_id or 0)
        first_doc = first.get(conversation_id)
        shown = message_of.get(first_doc) if first_doc is not None else None
        if shown is not None:
            documents[conversation_id] = message_document(bodies.get(shown, ""), names.get(shown, []))
        elif first_doc is not None:
            documents[conversation_id] = subject
        else:
            documents[conversation_id] = person_document(name, email, phone, notes).replace("\n", " · ")
    return documents


def excerpt(document: str, highlighted: frozenset[str], width: int = EXCERPT_CHARS) -> str:
    """Up to `width` characters of `document` around its first highlighted word, HTML-escaped, each
    highlighted word (or address) wrapped in <mark> after escaping."""
    document = " ".join(document.split())
    spans = [(t.start, t.end) for t in tokens(document) if _is_highlighted(t.term, t.is_email, highlighted)]
    first = spans[0][0] if spans else 0
    start = max(0, first - width // 3)
    if start > 0:
        space = document.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = min(len(document), start + width)
    if end < len(document):
        space = document.rfind(" ", start, end)
        end = space if space > first else end
    pieces: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        pieces.append(html.escape(document[cursor:span_start]))
        pieces.append(f"<mark>{html.escape(document[span_start:span_end])}</mark>")
        cursor = span_end
    pieces.append(html.escape(document[cursor:end]))
    pieces.append("…" if end < len(document) else "")
    return "".join(pieces)


def _is_highlighted(term: str, is_email: bool, highlighted: frozenset[str]) -> bool:
    if term in highlighted:
        return True
    return is_email and any(part in highlighted for part in address_parts(term))
