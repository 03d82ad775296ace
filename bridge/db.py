"""Engine, sessions and migrations. SQLite gets WAL and a busy timeout; PostgreSQL is used as is.

Writes and claims run in `transaction(engine)`: on SQLite it begins IMMEDIATE, taking the one write
lock at once, which makes "claim a row" atomic and spares a reader-turned-writer the busy error a
deferred transaction gets when another writer got in first. Reads run on `reads(engine)` (or in
`read_session`): a deferred BEGIN on SQLite, which with WAL neither waits for the writer nor holds
it up, and a READ ONLY transaction on PostgreSQL.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import Insert, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

from chatcore import search_index
from webui.shipped import shipped_dir

_log = logging.getLogger(__name__)
T = TypeVar("T")


def make_engine(url: str, base_dir: str = ".") -> Engine:
    """An engine for `url`; a relative SQLite path is taken from `base_dir` and its folder created."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(base_dir, database)  # an absolute `database` stays as it is
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_private(path)
        parsed = parsed.set(database=str(path))
    engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (like the spool): it holds every mail and
    password hash. SQLite gives its -wal and -shm files the same mode. An existing file is left as is."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)


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


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Session]:
    """A transaction that only reads, from one consistent snapshot, and blocks no writer: SQLite
    begins it deferred (no write lock), PostgreSQL runs it REPEATABLE READ, READ ONLY."""
    options: dict[str, Any] = {READS: True}
    if is_postgres(engine):
        options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with (
        engine.connect().execution_options(**options) as connection,
        connection.begin(),
        Session(bind=connection, expire_on_commit=False) as session,
    ):
        yield session


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
    config.set_main_option("script_location", str(shipped_dir("bridge.migrations")))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (creates every table on an empty database), then
    rebuild the search index if it is missing or out of step with what it indexes.

    Processes starting at once take turns: on PostgreSQL under an advisory lock on the schema they
    migrate (processes on other schemas of the same database go on at once), on SQLite under an
    exclusive lock on a file beside the database. The second finds the schema up to date."""
    with _migration_lock(engine):
        command.upgrade(alembic_config(engine), "head")
        with engine.begin() as connection:
            if search_index.repair(connection):
                _log.info("the search index was missing or out of step: rebuilt it")


_MIGRATION_LOCK_KEY = 0x52444D47  # "RDMG"; with the schema's hash, the advisory lock migrations take
_SCHEMA_LOCK = "(:key, hashtext(coalesce(current_schema(), '')))"
_TAKE_MIGRATION_LOCK = text(f"SELECT pg_advisory_lock{_SCHEMA_LOCK}")
_FREE_MIGRATION_LOCK = text(f"SELECT pg_advisory_unlock{_SCHEMA_LOCK}")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    if is_postgres(engine):
        with engine.connect() as connection:
            connection.execute(_TAKE_MIGRATION_LOCK, {"key": _MIGRATION_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(_FREE_MIGRATION_LOCK, {"key": _MIGRATION_LOCK_KEY})
                connection.commit()
        return
    database = engine.url.database or ""
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, also when the process dies
        yield
