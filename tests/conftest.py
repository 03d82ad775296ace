"""Shared fixtures: settings, a migrated database on each configured backend, a context."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

import webui.auth
from bridge.app import build_context
from bridge.context import Context
from bridge.db import make_engine, migrate
from bridge.settings import Settings, settings_from_mapping
from tests.support.clock import ManualClock
from tests.support.databases import backends, database_url

# argon2's cheapest parameters for the passwords tests hash (~0.2 s each with the production ones,
# and as long again for every login, as the parameters travel in the hash). One test,
# tests/webui/test_password_cost.py, checks that the production parameters are the strong ones.
TEST_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(webui.auth, "PasswordHasher", functools.partial(PasswordHasher, **TEST_ARGON2))
        yield


def make_settings(tmp_path: Path, url: str, **sections: dict[str, Any]) -> Settings:
    raw: dict[str, Any] = {
        "site": {"secret_key": "test-secret-0123456789abcdefghijklmnop", "base_url": "http://desk.test"},
        "database": {"url": url},
        "mail": {"address": "support@example.com"},
        "outbound": {"transport": "maildir", "maildir": str(tmp_path / "maildir")},
        "uploads": {"dir": str(tmp_path / "files")},
        "inbound": {"smtp": {"spool_dir": str(tmp_path / "spool")}},
    }
    for name, values in sections.items():
        raw[name] = {**raw.get(name, {}), **values}
    return settings_from_mapping(raw, {}, base_dir=str(tmp_path))


@pytest.fixture(params=backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per test process; `engine` starts each test from a copy."""
    path = tmp_path_factory.mktemp("migrated") / "relaydesk.db"
    template = make_engine(f"sqlite:///{path}")
    migrate(template)
    template.dispose()  # the last connection's close folds the WAL into the file
    return path


@pytest.fixture
def engine(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    database = Path(db_url.removeprefix("sqlite:///"))
    if db_url.startswith("sqlite:///") and not database.exists():
        _copy_private(request.getfixturevalue("migrated_sqlite_file"), database)
    engine = make_engine(db_url, str(tmp_path))
    migrate(engine)  # finds the copy up to date
    yield engine
    engine.dispose()


def _copy_private(source: Path, target: Path) -> None:
    """Copy a database file, readable by its owner only, as bridge.db creates one."""
    if Path(f"{source}-wal").exists():
        return  # not folded in (an open connection somewhere): let `engine` migrate from scratch
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(source.read_bytes())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url, notifications={"operator_email_delay": "2m"})


@pytest.fixture
def context(settings: Settings, engine: Engine, clock: ManualClock) -> Context:
    return build_context(settings, clock=clock, engine=engine)


def _module_rank(module: str, marks: set[str]) -> int:
    if "slow" in marks:
        return 0
    return 1 if "browser" in marks or module.startswith("tests/integration/") else 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (make test) hand out the modules with slow tests first, then those with
    browser tests and the integration ones (real servers), so the long ones do not start last while
    the other workers sit idle; the quick modules fill in the end. Modules stay whole, in order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    marks: dict[str, set[str]] = {}
    for item in items:
        marks.setdefault(item.nodeid.split("::")[0], set()).update(m.name for m in item.iter_markers())
    rank = {module: _module_rank(module, found) for module, found in marks.items()}
    items.sort(key=lambda item: rank[item.nodeid.split("::")[0]])
