"""Shared fixtures: settings, a migrated database on each configured backend, a context."""

from __future__ import annotations

import functools
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


@pytest.fixture
def engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(db_url, str(tmp_path))
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url, notifications={"operator_email_delay": "2m"})


@pytest.fixture
def context(settings: Settings, engine: Engine, clock: ManualClock) -> Context:
    return build_context(settings, clock=clock, engine=engine)
