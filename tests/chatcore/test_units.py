"""Durations and sizes as config.toml writes them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chatcore.units import format_duration, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0s", timedelta(0)),
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("12h", timedelta(hours=12)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        (" 5 m ", timedelta(minutes=5)),
    ],
)
def test_good_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "m", "-5m", "5 minutes", "1.5h", "5M", "5y", "5m30s", "abc"])
def test_bad_durations_say_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r'is not a duration like "90s"') as caught:
        parse_duration(text)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize("value", [None, 5, 1.5, ["5m"]])
def test_non_text_durations_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0s", "0s"),
        ("45s", "45s"),
        ("90s", "90s"),
        ("300s", "5m"),
        ("120m", "2h"),
        ("48h", "2d"),
        ("14d", "2w"),
    ],
)
def test_format_duration_is_the_shortest_spelling(value: str, expected: str) -> None:
    assert format_duration(parse_duration(value)) == expected
    assert parse_duration(format_duration(parse_duration(value))) == parse_duration(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("512KB", 512 * 1024),
        ("2MB", 2 * 1024 * 1024),
        ("25MB", 25 * 1024 * 1024),
        ("1GB", 1024**3),
        ("2mb", 2 * 1024 * 1024),
        ("1.5MB", 1536 * 1024),
        ("3MiB", 3 * 1024 * 1024),
        ("100", 100),
        ("100B", 100),
        (" 2 MB ", 2 * 1024 * 1024),
        (0, 0),
        (4096, 4096),
    ],
)
def test_good_sizes(text: str | int, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("value", ["", "MB", "-1MB", "2TB", "two MB", "2 M B", -1, True, None, 2.5])
def test_bad_sizes_say_what_is_expected(value: object) -> None:
    with pytest.raises(ValueError, match=r'is not a size like "512KB"'):
        parse_size(value)  # type: ignore[arg-type]
