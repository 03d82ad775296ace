"""Engine, sessions and migrations. SQLite gets WAL and a busy timeout; PostgreSQL is used as is.

Writes and claims run in `transaction(engine)`: on SQLite it begins IMMEDIATE, taking the one write
lock at once, which makes "claim a row" atomic and spares a reader-turned-writer the busy error a
deferred transaction gets when another writer got in first. Reads run on `reads(engine)` (or in
`read_session`): a deferred BEGIN on SQLite, which with WAL neither waits for the writer nor holds
it up, and a READ ONLY transaction on PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import Insert, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

from chatcore import search_index

MIGRATIONS = Path(__file__).parent / "migrations"
_log = logging.getLogger(__name__)
T = TypeVar("T")


def make_engine(url: str, base_dir: str = ".") -> Engine:
    """An engine for `url`; a relative SQLite path is taken from `base_dir` and its folder created."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    database = parsed.database or ""
    if database and database != ":memory:" and not Path(database).is_absolute():
        path = Path(base_dir, database)
        path.parent.mkdir(parents=True, exist_ok=True)
        parsed = parsed.set(database=str(path))
    engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # SQLAlchemy's "begin" listener issues BEGIN itself
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    if connection.get_execution_options().get(READS):
        connection.exec_driver_sql("BEGIN")  # deferred: a snapshot to read, no lock taken
    else:
        # Taking the write lock at BEGIN makes "claim a row" atomic across threads and processes.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


READS = "relaydesk_reads"  # execution option marking an engine whose transactions only read


def reads(engine: Engine) -> Engine:
    """The same database and connection pool, for transactions that only read (see the module's
    docstring). A write through it fails on PostgreSQL and would risk SQLITE_BUSY on SQLite."""
    if engine.get_execution_options().get(READS):
        return engine
    if is_postgres(engine):
        return engine.execution_options(**{READS: True}, postgresql_readonly=True)
    return engine.execution_options(**{READS: True})


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading only; its transaction ends (rolled back) when the block does."""
    with Session(reads(engine), expire_on_commit=False) as session:
        yield session


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work that writes: commits on success, rolls back on any exception."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def insert_new_statements(model: type[SQLModel], key: str) -> dict[str, Insert]:
    """INSERT statements per dialect that skip a row whose `key` is already taken (ON CONFLICT DO
    NOTHING): one round trip instead of a read and a write, and no race between the two. They return
    the key of the row inserted, and no row when it was skipped."""
    column = inspect(model).local_table.c[key]
    return {
        name: dialect.insert(model).on_conflict_do_nothing(index_elements=[column]).returning(column)
        for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
    }


def begin_batch(session: Session) -> None:
    """Make `session` a batch: it keeps every row it loads or stores until it ends, and `batch_memo`
    remembers lookups for it. The identity map holds rows weakly, so without this a row read by one
    step is read again by the next (SQLAlchemy's "strong reference" recipe)."""
    held: list[object] = []
    session.info[_MEMO] = {}

    def hold(_session: Session, instance: object) -> None:
        held.append(instance)

    event.listen(session, "loaded_as_persistent", hold)
    event.listen(session, "pending_to_persistent", hold)


def batch_memo(session: Session, key: str, load: Callable[[], T]) -> T:
    """`load()`, once per batch session (see `begin_batch`); every time in any other session."""
    memo = session.info.get(_MEMO)
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return cast(T, memo[key])


_MEMO = "batch_memo"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (creates every table on an empty database), then
    rebuild the search index if it is missing or out of step with what it indexes."""
    command.upgrade(alembic_config(engine), "head")
    with engine.begin() as connection:
        if search_index.repair(connection):
            _log.info("the search index was missing or out of step: rebuilt it")
