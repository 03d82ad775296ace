"""Durations ("90s", "5m", "12h", "2d") and sizes ("512KB", "2MB") as written in config.toml."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KIB|MIB|GIB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "B": 1,
    "KB": 1024,
    "MB": 1024**2,
    "GB": 1024**3,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
}


def parse_duration(text: str) -> timedelta:
    """Parse "0s", "90s", "5m", "12h", "2d", "1w"; raise ValueError with a readable reason."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f'is not a duration like "90s", "5m", "12h" or "2d", got {text!r}')
    return timedelta(seconds=int(match.group(1)) * _DURATION_UNITS[match.group(2)])


def parse_size(text: str | int) -> int:
    """Parse "512KB", "2MB", "25MB" or a plain byte count; sizes are binary (1KB = 1024 bytes)."""
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return text
    match = _SIZE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f'is not a size like "512KB" or "2MB", got {text!r}')
    unit = (match.group(2) or "B").upper()
    return int(float(match.group(1)) * _SIZE_UNITS[unit])


def format_duration(value: timedelta) -> str:
    """The shortest config spelling of a duration, e.g. 300 seconds -> "5m"."""
    seconds = int(value.total_seconds())
    for suffix in ("w", "d", "h", "m"):
        unit = _DURATION_UNITS[suffix]
        if seconds and seconds % unit == 0:
            return f"{seconds // unit}{suffix}"
    return f"{seconds}s"
