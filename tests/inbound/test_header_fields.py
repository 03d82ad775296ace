"""Addresses, Message-IDs and the date, read leniently from the headers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from inbound.header_fields import addresses, message_ids, parse_date, unique
from inbound.headers import HeaderDecoder
from inbound.parse import parse_mail

Load = Callable[[str], bytes]


def test_unparseable_from_leaves_empty_address_and_keeps_name() -> None:
    mail = parse_mail(b"From: Nobody Here\r\nSubject: s\r\n\r\nbody\r\n")
    assert mail.from_address == ""
    assert mail.from_name == "Nobody Here"


def test_bad_date_is_none_with_a_defect() -> None:
    mail = parse_mail(b"From: a@example.com\r\nDate: the day after tomorrow\r\n\r\nbody\r\n")
    assert mail.date is None
    assert any("Date" in defect for defect in mail.defects)


def test_addresses_are_lower_cased_with_decoded_names_and_found_in_unreadable_values() -> None:
    decoder = HeaderDecoder([], [])
    values = ["=?utf-8?B?0JDQvdC90LA=?= <Anna@Example.ORG>, bob@example.net", "garbage <<x@Y.example>> ;;"]
    assert addresses(values, decoder) == [
        ("Анна", "anna@example.org"),
        ("", "bob@example.net"),
        ("", "x@y.example"),
    ]


def test_message_ids_lose_their_brackets_and_bare_ids_are_found() -> None:
    assert message_ids(["<a@x> <b@y>", "c@z junk", "<a@x>"]) == ["a@x", "b@y", "c@z", "a@x"]
    assert unique(["a@x", "", "b@y", "a@x"]) == ("a@x", "b@y")


def test_a_date_without_a_zone_is_read_as_utc() -> None:
    defects: list[str] = []
    assert parse_date("Sun, 09 Mar 2025 16:00:00 +0300", defects) == datetime(2025, 3, 9, 13, 0, tzinfo=UTC)
    assert parse_date("Sun, 09 Mar 2025 13:00:00 -0000", defects) == datetime(2025, 3, 9, 13, 0, tzinfo=UTC)
    assert defects == []
