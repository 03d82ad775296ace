"""Fixtures for tests against the real `relaydesk serve`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.sink import SmtpSink


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """Postfix's smtp-sink as the desk's outbound relay."""
    relay = SmtpSink().start()
    yield relay
    relay.stop()
