"""Which stemming finds more on the search corpus: PostgreSQL's own configurations or ours.

Loads tests/data/search (the dialogs and the cases written before the search code) into PostgreSQL,
then answers every case four ways, each with the same rule (a dialog matches when every part of the
query is in one of its texts: a message with its attachment names, the subject, the contact):

- `russian`: to_tsvector('russian', text) and phraseto_tsquery('russian', part), PostgreSQL's parser,
  Snowball stemmers (Russian for Cyrillic, English for ASCII words) and stop words;
- `english`: the same with 'english' (Cyrillic words are not stemmed);
- `simple`: no stemming at all (lower case only);
- `relaydesk`: chatcore.search (terms stemmed in Python, one index on both databases).

Prints, per way, the cases passed (all `find` found, no `not` found) and each case it fails.

Usage: python bench/search_stemming.py --postgres URL
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bridge.db import make_engine, migrate
from chatcore.search import search_conversations
from tests.chatcore.test_search import CASES, load_corpus
from tests.support.databases import POSTGRES_ENV, database_url

_DOCUMENTS = """
CREATE TEMP TABLE docs AS
SELECT m.conversation_id, m.text || E'\\n' || coalesce(string_agg(a.filename, E'\\n'), '') AS body
  FROM message m LEFT JOIN attachment a ON a.message_id = m.id GROUP BY m.id
UNION ALL SELECT id, subject FROM conversation WHERE subject <> ''
UNION ALL SELECT c.id, concat_ws(E'\\n', p.name, p.email, p.phone, p.notes)
  FROM conversation c JOIN contact p ON p.id = c.contact_id
"""


def query_parts(query: str) -> list[str]:
    """The query's parts as typed: quoted phrases, then the other words."""
    phrases = re.findall(r'"([^"]*)"', query)
    rest = re.sub(r'"[^"]*"', " ", query).split()
    return [part for part in [*phrases, *rest] if part.strip()]


def native_find(engine: Engine, config: str, query: str) -> set[int]:
    found: set[int] | None = None
    with engine.connect() as connection:
        if not _has_docs(connection):
            connection.exec_driver_sql(_DOCUMENTS)
        for part in query_parts(query):
            rows = connection.execute(
                text(
                    "SELECT DISTINCT conversation_id FROM docs "
                    "WHERE to_tsvector(CAST(:c AS regconfig), body) "
                    "@@ phraseto_tsquery(CAST(:c AS regconfig), :p)"
                ),
                {"c": config, "p": part},
            )
            ids = {row[0] for row in rows}
            found = ids if found is None else found & ids
    return found or set()


def _has_docs(connection: Any) -> bool:
    return bool(connection.execute(text("SELECT to_regclass('pg_temp.docs') IS NOT NULL")).scalar())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True)
    args = parser.parse_args()
    os.environ[POSTGRES_ENV] = args.postgres
    cases = [*CASES["case"], *({**limit, "find": []} for limit in CASES["limit"])]
    with tempfile.TemporaryDirectory() as folder, database_url("postgres", Path(folder)) as url:
        engine = make_engine(url, folder)
        migrate(engine)
        ids = load_corpus(engine)
        keys = {conversation_id: key for key, conversation_id in ids.items()}
        ways: dict[str, Any] = {
            config: (lambda q, c=config: native_find(engine, c, q))
            for config in ("russian", "english", "simple")
        }

        def ours(query: str) -> set[int]:
            with Session(engine) as session:
                return {hit.conversation_id for hit in search_conversations(session, query)}

        ways["relaydesk"] = ours
        for name, find in ways.items():
            failures = []
            for case in cases:
                found = {keys[i] for i in find(case["query"])}
                missing = set(case["find"]) - found
                wrong = set(case.get("not", [])) & found
                if missing or wrong:
                    failures.append(
                        f"    {case['query']!r}: misses {sorted(missing)}, wrongly finds {sorted(wrong)}"
                    )
            print(f"{name:<10} {len(cases) - len(failures)}/{len(cases)} cases")
            print("\n".join(failures))
        engine.dispose()


if __name__ == "__main__":
    main()
