"""Writes that may race another request to create the same row (a visitor's first contact)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

T = TypeVar("T")


def once_more_on_conflict(write: Callable[[], T]) -> T:
    """Run a whole transaction; when a concurrent one inserted the same unique row first, run it again:
    the second run finds that row and joins it instead of failing the visitor's request."""
    try:
        return write()
    except IntegrityError:
        return write()
