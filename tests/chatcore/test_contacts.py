"""The rules for a contact's address: what is one, and what clears the mark of a bounced one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chatcore.contacts import can_email, change_email, checked_address, is_address, mark_undeliverable
from chatcore.errors import DomainError
from chatcore.models import Contact

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def bounced(address: str = "anna@example.org") -> Contact:
    contact = Contact(email=address, email_verified_at=NOW)
    mark_undeliverable(contact, "550 5.1.1 user\r\n   unknown " + "x" * 600, NOW)
    return contact


def test_a_mark_stops_email_and_keeps_a_short_one_line_reason() -> None:
    contact = bounced()
    assert not can_email(contact)
    assert contact.undeliverable_at == NOW
    assert contact.undeliverable_reason.startswith("550 5.1.1 user unknown x")
    assert len(contact.undeliverable_reason) == 500
    assert not can_email(Contact(email=None))
    assert can_email(Contact(email="anna@example.org", email_verified_at=NOW))
    assert not can_email(Contact(email="anna@example.org")), "a claimed address is not written to"


def test_another_address_clears_the_mark_the_same_one_does_not() -> None:
    contact = bounced()
    change_email(contact, "ANNA@example.org")
    assert not can_email(contact)
    change_email(contact, "anna@example.net")
    assert can_email(contact)
    assert contact.undeliverable_reason == ""


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (" Anna@Example.ORG ", "anna@example.org"),
        ("анна@пример.рф", "анна@пример.рф"),
        ("a.b+c@d.co", "a.b+c@d.co"),
    ],
)
def test_addresses_are_trimmed_and_lower_cased(typed: str, stored: str) -> None:
    assert checked_address(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "anna",
        "anna@example",
        "anna@@example.org",
        "a b@example.org",
        "anna@example.org\r\nBcc: x@y.z",
        "<anna@example.org>",
        "anna@example..org",
        "x" * 250 + "@example.org",
    ],
)
def test_what_is_not_an_address_is_refused(typed: str) -> None:
    with pytest.raises(DomainError):
        checked_address(typed)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # what the chat and profile forms accepted and still accept
        ("anna@example.org", True),
        ("a.b+c@mail.example.co.uk", True),
        ("анна@пример.рф", True),
        # what they refused and still refuse: no dot in the domain, list or header separators, brackets
        ("anna@localhost", False),
        ("anna,bob@example.org", False),
        ('"anna"@example.org', False),
        ("anna@example.org;bob@example.org", False),
        ("<anna@example.org>", False),
        # what they let through and the contact card refused: empty labels and over-long addresses
        ("anna@example..org", False),
        ("anna@.example.org", False),
        ("anna@example.org.", False),
        ("x" * 250 + "@example.org", False),
    ],
)
def test_one_rule_for_every_form_that_takes_an_address(text: str, expected: bool) -> None:
    assert is_address(text) is expected
