"""Full-text search: a query in, dialogs out, best match first, each with a highlighted excerpt.

A query is words, "quoted phrases", email addresses and phone numbers. A dialog matches when each of
them is found somewhere in it: a message (its cleaned text or an attachment's name), the subject, or
its contact (name, email, phone, notes). Words match other forms of themselves (chatcore/search_terms.py).

The score is the same on SQLite and PostgreSQL, so both order results alike: for each part of the query,
one point per message that has it, three for the subject or the contact; ties go to the dialog with
the newest activity.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Subquery, text
from sqlalchemy.sql.elements import TextClause
from sqlmodel import Session, col, select

from chatcore.models import Attachment, Contact, Conversation, Message, SearchText
from chatcore.search_index import ORDINAL_BITS, ORDINAL_MASK, message_document, person_document
from chatcore.search_terms import address_parts, is_phone, normalized, query_phone_term, tokens

MAX_QUERY_PARTS = 8
EXCERPT_CHARS = 160
SUBJECT_POINTS = 2  # added to the one point of the subject's own match: three in all
PERSON_POINTS = 3
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


def matches(session: Session, query: Query) -> Subquery:
    """(conversation_id, score) of every dialog that has each part of `query`; join it to filter."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    selects: list[str] = []
    params: dict[str, Any] = {"parts": len(query.parts)}
    for number, part in enumerate(query.parts):
        params[f"q{number}"] = fts_query(part) if sqlite else tsquery(part)
        selects.extend(_part_selects(number, sqlite))
    if not selects:
        selects = ["SELECT 0 AS conversation_id, 0 AS part, 0 AS score WHERE 1 = 0"]
    statement = text(
        "SELECT conversation_id, sum(score) AS score FROM ("  # noqa: S608
        + " UNION ALL ".join(selects)
        + ") AS hits GROUP BY conversation_id HAVING count(DISTINCT part) = :parts"
    ).bindparams(**params)
    return statement.columns(conversation_id=Integer, score=Integer).subquery("matches")


def _part_selects(number: int, sqlite: bool) -> list[str]:
    """The SELECTs that find one part. (SQL text here interpolates constants and part numbers only;
    what the user typed is always a bound parameter.)"""
    subject_bonus = f"{SUBJECT_POINTS} * max(CASE WHEN (id & {ORDINAL_MASK}) = 0 THEN 1 ELSE 0 END)"
    if sqlite:
        texts = (
            f"SELECT rowid >> {ORDINAL_BITS} AS conversation_id, {number} AS part, "  # noqa: S608
            f"count(*) + {subject_bonus.replace('id &', 'rowid &')} AS score "
            f"FROM searchtext_fts WHERE searchtext_fts MATCH :q{number} GROUP BY rowid >> {ORDINAL_BITS}"
        )
        people = (
            f"SELECT conversation.id, {number}, {PERSON_POINTS} FROM searchperson_fts "  # noqa: S608
            "JOIN conversation ON conversation.contact_id = searchperson_fts.rowid "
            f"WHERE searchperson_fts MATCH :q{number}"
        )
    else:
        texts = (
            f"SELECT id >> {ORDINAL_BITS} AS conversation_id, {number} AS part, "  # noqa: S608
            f"count(*) + {subject_bonus} AS score "
            f"FROM searchtext WHERE vector @@ CAST(:q{number} AS tsquery) GROUP BY id >> {ORDINAL_BITS}"
        )
        people = (
            f"SELECT conversation.id, {number}, {PERSON_POINTS} FROM searchperson "  # noqa: S608
            "JOIN conversation ON conversation.contact_id = searchperson.id "
            f"WHERE searchperson.vector @@ CAST(:q{number} AS tsquery)"
        )
    return [texts, people]


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
    if not parsed.parts:
        return []
    found = matches(session, parsed)
    statement = (
        select(found.c.conversation_id, found.c.score)
        .join(Conversation, col(Conversation.id) == found.c.conversation_id)
        .order_by(found.c.score.desc(), col(Conversation.updated_at).desc(), col(Conversation.id).desc())
        .limit(limit)
    )
    if status is not None:
        statement = statement.where(col(Conversation.status) == status)
    if assignee_id is not None:
        statement = statement.where(col(Conversation.assignee_id) == assignee_id)
    if contact_id is not None:
        statement = statement.where(col(Conversation.contact_id) == contact_id)
    rows = session.execute(statement).all()
    shown = excerpts(session, parsed, [row[0] for row in rows])
    return [SearchHit(row[0], int(row[1]), shown.get(row[0], "")) for row in rows]


def excerpts(session: Session, query: Query, conversation_ids: Sequence[int]) -> dict[int, str]:
    """For each dialog, the first message (else the subject, else the contact) that has a part of
    `query`, cut around the match and highlighted."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    statement = _first_text_match(sqlite)
    any_part = (" OR " if sqlite else " | ").join(
        fts_query(part) if sqlite else f"({tsquery(part)})" for part in query.parts
    )
    found: dict[int, str] = {}
    for conversation_id in conversation_ids:
        low = conversation_id << ORDINAL_BITS
        doc = session.execute(statement, {"q": any_part, "low": low, "high": low + ORDINAL_MASK}).first()
        document = _text_of(session, conversation_id, doc[0] if doc else None)
        found[conversation_id] = excerpt(document, query.highlighted)
    return found


def _first_text_match(sqlite: bool) -> TextClause:
    messages_first = f"CASE WHEN ({{id}} & {ORDINAL_MASK}) = 0 THEN 1 ELSE 0 END, {{id}}"
    if sqlite:
        return text(
            "SELECT rowid FROM searchtext_fts WHERE searchtext_fts MATCH :q AND rowid >= :low "  # noqa: S608
            f"AND rowid <= :high ORDER BY {messages_first.format(id='rowid')} LIMIT 1"
        )
    return text(
        "SELECT id FROM searchtext WHERE vector @@ CAST(:q AS tsquery) AND id >= :low AND id <= :high "  # noqa: S608
        f"ORDER BY {messages_first.format(id='id')} LIMIT 1"
    )


def _text_of(session: Session, conversation_id: int, doc_id: int | None) -> str:
    """The text a document was made from: a message with its attachment names, a subject, a contact."""
    if doc_id is not None:
        message_id = session.exec(select(SearchText.message_id).where(SearchText.id == doc_id)).first()
        if message_id is not None:
            return _message_text(session, message_id)
        conversation = session.get(Conversation, conversation_id)
        return conversation.subject if conversation else ""
    contact = session.exec(
        select(Contact).join(Conversation, col(Conversation.contact_id) == col(Contact.id))
        .where(Conversation.id == conversation_id)
    ).first()
    if contact is None:
        return ""
    return person_document(contact.name, contact.email, contact.phone, contact.notes).replace("\n", " · ")


def _message_text(session: Session, message_id: int) -> str:
    body = session.exec(select(Message.text).where(Message.id == message_id)).one()
    names = session.exec(select(Attachment.filename).where(Attachment.message_id == message_id)).all()
    return message_document(body, [name for name in names if name])


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

