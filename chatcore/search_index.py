"""Keeps the search index in step with what it indexes, in the caller's transaction.

Two tables hold the stemmed terms (chatcore/search_terms.py) of everything searchable:

- `searchtext`: one row per conversation subject and per message (its text and attachment names). Its id
  is `conversation_id << 24 | ordinal` (the subject is ordinal 0, messages count from 1), so a match names
  its conversation without a lookup;
- `searchperson`: one row per contact (name, email, phone, notes), id = the contact's id.

The index over the terms is per database (migration 0009): on SQLite FTS5 tables `searchtext_fts` and
`searchperson_fts` with these tables as external content; on PostgreSQL a tsvector column `vector`
with a GIN index. Rows and index are written by the same statements' transaction as the message or
contact, so a crash leaves both or neither. `repair` (run by `relaydesk migrate`) rebuilds what is
missing or out of step, such as rows written by an older version or by bulk loads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.orm import Mapper

from chatcore.models import Contact
from chatcore.search_terms import document_terms

ORDINAL_BITS = 24
ORDINAL_MASK = (1 << ORDINAL_BITS) - 1
_BATCH = 2000
FTS_TOKENIZER = "unicode61 remove_diacritics 0 tokenchars '@.+-_'"
PERSON_FIELDS = ("name", "email", "phone", "notes")


@dataclass(frozen=True)
class TextDoc:
    id: int
    message_id: int | None
    terms: list[str]


def doc_id(conversation_id: int, ordinal: int) -> int:
    if not 0 <= ordinal <= ORDINAL_MASK:
        raise ValueError(f"conversation {conversation_id} has more texts than the index can number")
    return (conversation_id << ORDINAL_BITS) | ordinal


def message_document(text: str, filenames: Iterable[str]) -> str:
    """What is searched for a message: its text, then its attachments' names, one a line."""
    return "\n".join([text, *filenames])


def person_document(name: str, email: str | None, phone: str, notes: str) -> str:
    return "\n".join(part for part in (name, email or "", phone, notes) if part)


# ---------------------------------------------------------------------------------------------------
# Writes, called by chatcore.services and by the Contact mapper events below
# ---------------------------------------------------------------------------------------------------


def index_subject(connection: Connection, conversation_id: int, subject: str) -> None:
    if subject:
        _insert_texts(connection, [TextDoc(doc_id(conversation_id, 0), None, document_terms(subject))])


def index_message(
    connection: Connection, conversation_id: int, message_id: int, body: str, filenames: Sequence[str]
) -> None:
    """Index a message as the conversation's next text. Call it after the conversation's row has been
    updated for the message: on PostgreSQL that row lock orders concurrent posts, so each takes its own
    ordinal."""
    base = doc_id(conversation_id, 0)
    last = connection.execute(_LAST_TEXT, {"low": base, "high": base + ORDINAL_MASK}).scalar()
    ordinal = (last - base + 1) if last is not None else 1
    terms = document_terms(message_document(body, filenames))
    _insert_texts(connection, [TextDoc(doc_id(conversation_id, ordinal), message_id, terms)])


def move_conversation(connection: Connection, from_id: int, to_id: int) -> None:
    """The texts of conversation `from_id` become texts of `to_id` (a join moved its messages there),
    after the ones `to_id` has; the subject of `from_id` goes with them as a text of `to_id`."""
    low = doc_id(from_id, 0)
    moving = connection.execute(_TEXTS_IN, {"low": low, "high": low + ORDINAL_MASK}).all()
    if not moving:
        return
    base = doc_id(to_id, 0)
    last = connection.execute(_LAST_TEXT, {"low": base, "high": base + ORDINAL_MASK}).scalar()
    first = (last - base + 1) if last is not None else 1
    if _is_sqlite(connection):
        connection.execute(_FTS_DELETE_TEXT, [{"id": row[0], "terms": row[2]} for row in moving])
    connection.execute(_DELETE_TEXTS_IN, {"low": low, "high": low + ORDINAL_MASK})
    docs = [
        TextDoc(doc_id(to_id, first + n), message_id, terms.split())
        for n, (_, message_id, terms) in enumerate(moving)
    ]
    _insert_texts(connection, docs)


def index_person(connection: Connection, contact_id: int, terms: list[str]) -> None:
    """Put a contact's terms in place of what was indexed for it."""
    old = connection.execute(_PERSON_TERMS, {"id": contact_id}).scalar()
    sqlite = _is_sqlite(connection)
    if old is not None:
        if sqlite:
            connection.execute(_FTS_DELETE_PERSON, {"id": contact_id, "terms": old})
        connection.execute(_DELETE_PERSON, {"id": contact_id})
    _insert_persons(connection, [(contact_id, terms)])


def _insert_texts(connection: Connection, docs: Sequence[TextDoc]) -> None:
    rows = [_row(doc.id, doc.terms, message_id=doc.message_id) for doc in docs]
    if _is_sqlite(connection):
        connection.execute(_INSERT_TEXT_SQLITE, rows)
        connection.execute(_FTS_INSERT_TEXT, rows)
    else:
        connection.execute(_INSERT_TEXT_POSTGRES, rows)


def _insert_persons(connection: Connection, people: Sequence[tuple[int, list[str]]]) -> None:
    rows = [_row(contact_id, terms) for contact_id, terms in people]
    if _is_sqlite(connection):
        connection.execute(_INSERT_PERSON_SQLITE, rows)
        connection.execute(_FTS_INSERT_PERSON, rows)
    else:
        connection.execute(_INSERT_PERSON_POSTGRES, rows)


def _row(row_id: int, terms: list[str], **more: Any) -> dict[str, Any]:
    return {"id": row_id, "terms": " ".join(terms), "vector": tsvector_literal(terms), **more}


def tsvector_literal(terms: list[str]) -> str:
    """`'term':1,4 'other':2` - PostgreSQL's text form of a tsvector with these terms at these
    positions, so PostgreSQL indexes exactly the terms SQLite does, without a parser of its own."""
    positions: dict[str, list[str]] = defaultdict(list)
    for position, term in enumerate(terms, start=1):
        positions[term].append(str(position))
    return " ".join(f"{quote_lexeme(term)}:{','.join(where)}" for term, where in positions.items())


def quote_lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


# A contact is indexed whenever its searchable fields are written, by any code, in that flush.


@event.listens_for(Contact, "after_insert")
def _contact_inserted(_mapper: Mapper[Contact], connection: Connection, contact: Contact) -> None:
    _index_contact(connection, contact)


@event.listens_for(Contact, "after_update")
def _contact_updated(_mapper: Mapper[Contact], connection: Connection, contact: Contact) -> None:
    state = inspect(contact)
    if any(state.attrs[name].history.has_changes() for name in PERSON_FIELDS):
        _index_contact(connection, contact)


def _index_contact(connection: Connection, contact: Contact) -> None:
    assert contact.id is not None
    document = person_document(contact.name, contact.email, contact.phone, contact.notes)
    index_person(connection, contact.id, document_terms(document))


# ---------------------------------------------------------------------------------------------------
# Rebuild and repair
# ---------------------------------------------------------------------------------------------------


def is_current(connection: Connection) -> bool:
    """True when every message, subject and contact has its row and (SQLite) the FTS index has every row."""
    if _is_sqlite(connection) and not _fts_tables_exist(connection):
        return False
    counts = connection.execute(_COUNTS).one()
    if tuple(counts[:3]) != tuple(counts[3:6]):
        return False
    if _is_sqlite(connection):
        fts = connection.execute(_FTS_COUNTS).one()
        return bool(fts[0] == counts[3] + counts[4] and fts[1] == counts[5])
    return True


def repair(connection: Connection) -> bool:
    """Rebuild the index when it is missing or out of step; True when it did."""
    if is_current(connection):
        return False
    rebuild(connection)
    return True


def rebuild(connection: Connection) -> None:
    """Index every subject, message and contact afresh."""
    sqlite = _is_sqlite(connection)
    if sqlite:
        connection.exec_driver_sql("DROP TABLE IF EXISTS searchtext_fts")
        connection.exec_driver_sql("DROP TABLE IF EXISTS searchperson_fts")
    connection.exec_driver_sql("DELETE FROM searchtext")
    connection.exec_driver_sql("DELETE FROM searchperson")
    for docs in _batches(_all_texts(connection)):
        _insert_rows_only(connection, "searchtext", docs)
    for people in _batches(_all_people(connection)):
        _insert_rows_only(connection, "searchperson", people)
    if sqlite:
        create_sqlite_fts(connection)
        connection.exec_driver_sql("INSERT INTO searchtext_fts(searchtext_fts) VALUES ('rebuild')")
        connection.exec_driver_sql("INSERT INTO searchperson_fts(searchperson_fts) VALUES ('rebuild')")


def create_sqlite_fts(connection: Connection) -> None:
    for table in ("searchtext", "searchperson"):
        connection.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {table}_fts USING fts5(terms, content='{table}', "
            f"content_rowid='id', tokenize=\"{FTS_TOKENIZER}\")"
        )


def _insert_rows_only(connection: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """Rows without the SQLite FTS index, which is built in one pass afterwards."""
    if _is_sqlite(connection):
        statement = _INSERT_TEXT_SQLITE if table == "searchtext" else _INSERT_PERSON_SQLITE
    else:
        statement = _INSERT_TEXT_POSTGRES if table == "searchtext" else _INSERT_PERSON_POSTGRES
    connection.execute(statement, rows)


def _all_texts(connection: Connection) -> Iterator[dict[str, Any]]:
    for conversation_id, subject in connection.execute(_SUBJECTS).all():
        yield _row(doc_id(conversation_id, 0), document_terms(subject), message_id=None)
    ordinal: dict[int, int] = defaultdict(int)
    after = 0
    while True:
        batch = connection.execute(_MESSAGES, {"after": after, "limit": _BATCH}).all()
        if not batch:
            return
        names = _attachment_names(connection, batch[0][0], batch[-1][0])
        for message_id, conversation_id, body in batch:
            ordinal[conversation_id] += 1
            terms = document_terms(message_document(body, names.get(message_id, ())))
            yield _row(doc_id(conversation_id, ordinal[conversation_id]), terms, message_id=message_id)
        after = batch[-1][0]


def _attachment_names(connection: Connection, first: int, last: int) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    for message_id, filename in connection.execute(_ATTACHMENTS, {"first": first, "last": last}):
        names[message_id].append(filename)
    return names


def _all_people(connection: Connection) -> Iterator[dict[str, Any]]:
    for contact_id, name, email, phone, notes in connection.execute(_CONTACTS).all():
        yield _row(contact_id, document_terms(person_document(name, email, phone, notes)))


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _fts_tables_exist(connection: Connection) -> bool:
    found = connection.execute(_FTS_TABLES).scalar()
    return found == 2


_LAST_TEXT = text("SELECT max(id) FROM searchtext WHERE id >= :low AND id <= :high")
_INSERT_TEXT_SQLITE = text("INSERT INTO searchtext (id, message_id, terms) VALUES (:id, :message_id, :terms)")
_INSERT_TEXT_POSTGRES = text(
    "INSERT INTO searchtext (id, message_id, terms, vector) "
    "VALUES (:id, :message_id, :terms, CAST(:vector AS tsvector))"
)
_FTS_INSERT_TEXT = text("INSERT INTO searchtext_fts (rowid, terms) VALUES (:id, :terms)")
_TEXTS_IN = text("SELECT id, message_id, terms FROM searchtext WHERE id >= :low AND id <= :high ORDER BY id")
_DELETE_TEXTS_IN = text("DELETE FROM searchtext WHERE id >= :low AND id <= :high")
_FTS_DELETE_TEXT = text(
    "INSERT INTO searchtext_fts (searchtext_fts, rowid, terms) VALUES ('delete', :id, :terms)"
)
_PERSON_TERMS = text("SELECT terms FROM searchperson WHERE id = :id")
_DELETE_PERSON = text("DELETE FROM searchperson WHERE id = :id")
_FTS_DELETE_PERSON = text(
    "INSERT INTO searchperson_fts (searchperson_fts, rowid, terms) VALUES ('delete', :id, :terms)"
)
_INSERT_PERSON_SQLITE = text("INSERT INTO searchperson (id, terms) VALUES (:id, :terms)")
_INSERT_PERSON_POSTGRES = text(
    "INSERT INTO searchperson (id, terms, vector) VALUES (:id, :terms, CAST(:vector AS tsvector))"
)
_FTS_INSERT_PERSON = text("INSERT INTO searchperson_fts (rowid, terms) VALUES (:id, :terms)")
_SUBJECTS = text("SELECT id, subject FROM conversation WHERE subject <> '' ORDER BY id")
_MESSAGES = text("SELECT id, conversation_id, text FROM message WHERE id > :after ORDER BY id LIMIT :limit")
_ATTACHMENTS = text(
    "SELECT message_id, filename FROM attachment WHERE message_id >= :first AND message_id <= :last "
    "AND filename <> '' ORDER BY id"
)
_CONTACTS = text("SELECT id, name, email, phone, notes FROM contact ORDER BY id")
_COUNTS = text(
    "SELECT (SELECT count(*) FROM message), (SELECT count(*) FROM conversation WHERE subject <> ''), "
    "(SELECT count(*) FROM contact), "
    "(SELECT count(message_id) FROM searchtext), "
    "(SELECT count(*) FROM searchtext WHERE message_id IS NULL), "
    "(SELECT count(*) FROM searchperson)"
)
_FTS_COUNTS = text(
    "SELECT (SELECT count(*) FROM searchtext_fts_docsize), (SELECT count(*) FROM searchperson_fts_docsize)"
)
_FTS_TABLES = text(
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
    "AND name IN ('searchtext_fts', 'searchperson_fts')"
)
