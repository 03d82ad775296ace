"""Malformed MIME of every kind must end as a ParsedMail or a MailRejected, never anything else."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbound.classify import classify
from inbound.limits import MailRejected, ParseLimits
from inbound.parse import ParsedMail, parse_mail
from tests.support.mime_fuzz import deep_nesting, entity, header_line, mutated_fixture, truncated

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def parse_or_reject(raw: bytes) -> ParsedMail | MailRejected:
    """Any other exception escapes and fails the test."""
    try:
        return parse_mail(raw, ParseLimits(max_size=512 * 1024))
    except MailRejected as rejected:
        return rejected


def assert_parsed_or_rejected(raw: bytes) -> None:
    outcome = parse_or_reject(raw)
    if isinstance(outcome, MailRejected):
        assert outcome.reason
        return
    mail = outcome
    assert isinstance(mail, ParsedMail)
    assert isinstance(mail.text, str)
    assert mail.date is None or (isinstance(mail.date, datetime) and mail.date.utcoffset() is not None)
    assert all(isinstance(name, str) and isinstance(value, str) for name, value in mail.headers)
    assert all(isinstance(attachment.data, bytes) for attachment in mail.attachments)
    assert mail.from_address == mail.from_address.lower()
    classify(mail, None, own_addresses=frozenset({"support@example.com"}), own_origin="origin")


@pytest.mark.timeout(240)  # 300 examples take ~20 s alone, several times that on a loaded CI machine
@SETTINGS
@given(truncated(entity(depth=4)))
def test_random_mime_trees_parse_or_reject(raw: bytes) -> None:
    assert_parsed_or_rejected(raw)


@pytest.mark.timeout(240)  # 300 examples take ~20 s alone, several times that on a loaded CI machine
@SETTINGS
@given(mutated_fixture())
def test_mutated_real_mail_parses_or_rejects(raw: bytes) -> None:
    assert_parsed_or_rejected(raw)


@pytest.mark.timeout(240)  # 300 examples take ~20 s alone, several times that on a loaded CI machine
@settings(max_examples=100, deadline=None)
@given(st.lists(header_line(), max_size=30), st.binary(max_size=300))
def test_header_soup_with_random_body(lines: list[bytes], body: bytes) -> None:
    assert_parsed_or_rejected(b"\r\n".join(lines) + b"\r\n\r\n" + body)


@pytest.mark.timeout(240)  # 300 examples take ~20 s alone, several times that on a loaded CI machine
@settings(max_examples=30, deadline=None)
@given(st.integers(0, 3000))
def test_any_nesting_depth_parses_or_rejects(levels: int) -> None:
    assert_parsed_or_rejected(deep_nesting(levels))
