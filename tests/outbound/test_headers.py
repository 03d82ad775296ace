"""Header values from user input: one clean line, names encoded, `Re:` added once."""

from __future__ import annotations

from email.headerregistry import Address
from email.policy import default

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outbound.headers import clean_header_text, format_address, subject_with_re

INJECTIONS = [
    "a\r\nBcc: x@y",
    "a\nBcc: x@y",
    "a\rBcc: x@y",
    "a\u2028Bcc: x@y",
    "a\x00\x1b\x7fb",
    "=?utf-8?q?a=0D=0ABcc:_x@y?=",
    "=?UTF-8?Q?a=0ABcc:_x@y?=",
    "=?utf-8?b?YQ0KQmNjOiB4QHk=?=",
    "Заказ =?utf-8?q?=0ABcc:_x@y?= ещё",
    "=?utf-8?q?=3D=3Futf-8=3Fq=3F=3D0D=3D0ABcc=3A=5Fx=40y=3F=3D?=",  # an encoded-word inside one
    "=?koi8-r?q?=0D=0A?=Bcc: x@y",
]

fragments = st.sampled_from(
    [
        "=?utf-8?q?",
        "=?utf-8?b?",
        "=0D",
        "=0A",
        "DQo=",
        "?=",
        "Bcc: x@y",
        '"',
        " ",
        "\r\n",
        "\n",
        "Анна",
        "<",
        ">",
        ",",
        "\\",
        "a",
    ]
)
hostile = st.lists(fragments, max_size=12).map("".join)


def decoded_as_header(value: str) -> str:
    """What the email package makes of the value when it is set on a header."""
    return str(default.header_factory("Subject", value))


@pytest.mark.parametrize("value", INJECTIONS)
def test_no_line_break_survives_raw_or_encoded(value: str) -> None:
    cleaned = clean_header_text(value)
    assert "\r" not in cleaned
    assert "\n" not in cleaned
    assert "\r" not in decoded_as_header(cleaned)
    assert "\n" not in decoded_as_header(cleaned)


@given(hostile)
def test_no_line_break_from_any_mix(value: str) -> None:
    decoded = decoded_as_header(clean_header_text(value))
    assert "\r" not in decoded
    assert "\n" not in decoded


def test_plain_and_cyrillic_text_is_kept() -> None:
    assert clean_header_text("  Где мой заказ №42?  ") == "Где мой заказ №42?"
    assert clean_header_text("Order: 42 — paid") == "Order: 42 — paid"


def test_controls_become_one_space_and_length_is_capped() -> None:
    assert clean_header_text("one\r\n\ttwo") == "one two"
    assert clean_header_text("x" * 500, 250) == "x" * 250


@given(st.text(max_size=60), st.integers(min_value=1, max_value=80))
def test_never_longer_than_the_limit(value: str, limit: int) -> None:
    assert len(clean_header_text(value, limit)) <= limit


def test_cyrillic_name_is_encoded_and_reads_back() -> None:
    formatted = format_address("Анна Иванова", "anna@example.org")
    header = default.header_factory("To", formatted)
    [address] = header.addresses
    assert address == Address("Анна Иванова", "anna", "example.org")


@pytest.mark.parametrize("name", [*INJECTIONS, 'Anna "The Boss" <boss@evil.test>, x@y', "Smith, John"])
def test_hostile_names_give_one_address(name: str) -> None:
    header = default.header_factory("To", format_address(name, "anna@example.org"))
    [address] = header.addresses
    assert address.addr_spec == "anna@example.org"
    assert "\n" not in address.display_name
    assert "\r" not in address.display_name


def test_empty_name_gives_the_bare_address() -> None:
    assert format_address("  ", "anna@example.org") == "anna@example.org"


@pytest.mark.parametrize(
    "address",
    [
        "",
        "anna",
        "anna@",
        "@example.org",
        "anna@example.org\r\nBcc: x@y",
        "a b@example.org",
        "a@b@c",
        "<a@b>",
        "a@b,c@d",
    ],
)
def test_bad_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValueError, match="not a mail address"):
        format_address("Anna", address)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Your order", "Re: Your order"),
        ("Re: Your order", "Re: Your order"),
        ("RE: re: Re:Your order", "Re: Your order"),
        ("Fwd: Re: Your order", "Re: Your order"),
        ("AW: SV: Your order", "Re: Your order"),
        ("Re[2]: Your order", "Re: Your order"),
        ("Ответ: Где заказ?", "Re: Где заказ?"),
        ("Отв: Re: Где заказ?", "Re: Где заказ?"),
        ("Regarding the order", "Re: Regarding the order"),
        ("", "Re:"),
        ("Re:", "Re:"),
        ("Re: a\r\nBcc: x@y", "Re: a Bcc: x@y"),
    ],
)
def test_re_does_not_pile_up(subject: str, expected: str) -> None:
    assert subject_with_re(subject) == expected
    assert subject_with_re(subject_with_re(subject)) == expected
