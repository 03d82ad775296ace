"""Fixtures for inbound tests: a fresh throwaway Dovecot per test (it starts in well under a second)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.dovecot import Dovecot


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    with Dovecot() as server:
        yield server
