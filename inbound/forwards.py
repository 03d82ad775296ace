"""Forward markers: a forwarded message is what the sender wants us to read, never quoted history."""

from __future__ import annotations

import re
from collections.abc import Sequence

FORWARD_MARKER = re.compile(
    r"^\s*(-{2,}\s*(forwarded message|пересылаемое сообщение|перенаправленное сообщение"
    r"|пересланное сообщение)\s*-{2,}"
    r"|(begin forwarded message|начало переадресованного сообщения|начало пересылаемого сообщения)\s*:)\s*$",
    re.IGNORECASE,
)


def first_forward(lines: Sequence[str]) -> int:
    """Index of the first forward marker line, or len(lines) when there is none."""
    for index, line in enumerate(lines):
        if FORWARD_MARKER.match(line):
            return index
    return len(lines)
