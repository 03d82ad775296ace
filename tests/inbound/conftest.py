from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

MAIL_DIR = Path(__file__).resolve().parent.parent / "data" / "mail"


@pytest.fixture
def mail_bytes() -> Callable[[str], bytes]:
    """Raw bytes of a fixture in tests/data/mail, by file name."""

    def load(name: str) -> bytes:
        return (MAIL_DIR / name).read_bytes()

    return load
