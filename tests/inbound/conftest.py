"""Fixtures for inbound tests: .eml fixtures by name, and a fresh throwaway Dovecot per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import Dovecot

MAIL_DIR = Path(__file__).resolve().parent.parent / "data" / "mail"


@pytest.fixture
def mail_bytes() -> Callable[[str], bytes]:
    """Raw bytes of a fixture in tests/data/mail, by file name."""

    def load(name: str) -> bytes:
        return (MAIL_DIR / name).read_bytes()

    return load


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    with Dovecot() as server:
        yield server
