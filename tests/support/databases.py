"""Test databases: a SQLite file, and a throwaway PostgreSQL schema when one is configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

POSTGRES_ENV = "RELAYDESK_TEST_DATABASE_URL"


def backends() -> list[str]:
    return ["sqlite", "postgres"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


@contextmanager
def database_url(backend: str, directory: Path) -> Iterator[str]:
    """A URL for an empty database of the given backend, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'relaydesk.db'}"
        return
    base = os.environ[POSTGRES_ENV]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
