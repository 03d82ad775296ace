"""Routing tokens: signed, case-proof, rotation-friendly, and never trusted when altered."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.tokens import Party, Token, TokenCodec

ADDRESS = "support@example.com"
ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
ids = st.integers(min_value=0, max_value=2**63)
tokens = st.builds(Token, st.sampled_from([Party.OPERATOR, Party.VISITOR]), ids, ids)

SAMPLES = [
    Token(Party.OPERATOR, 1, 1),
    Token(Party.VISITOR, 300, 5),
    Token(Party.OPERATOR, 2**20, 7),
    Token(Party.VISITOR, 5, 2**40),
    Token(Party.BOUNCE, 0, 123456),
]


@pytest.fixture
def codec() -> TokenCodec:
    return TokenCodec(["current-key"])


@given(tokens)
def test_round_trip(token: Token) -> None:
    codec = TokenCodec(["current-key"])
    text = codec.encode(token)
    assert text == text.lower()
    assert set(text) <= set(ALPHABET)
    assert codec.decode(text) == token
    assert codec.decode(text.upper()) == token


@given(tokens)
def test_round_trip_through_a_reply_address(token: Token) -> None:
    codec = TokenCodec(["current-key"])
    address = codec.reply_address(ADDRESS, token)
    assert address.startswith("support+")
    assert address.endswith("@example.com")
    assert codec.from_addresses([address], ADDRESS) == token
    assert codec.from_addresses([address.upper()], ADDRESS) == token
    assert codec.from_addresses([f"<{address}>"], ADDRESS) == token


@given(tokens)
def test_round_trip_through_a_message_id(token: Token) -> None:
    codec = TokenCodec(["current-key"])
    message_id = codec.message_id(token, "a1b2c3", "example.com")
    assert message_id.endswith("@example.com")
    assert codec.from_message_ids([f"<{message_id}>"]) == token
    assert codec.from_message_ids(["unrelated@mail.example.org", message_id.upper()]) == token


def test_tokens_differ_for_different_parties(codec: TokenCodec) -> None:
    encoded = {codec.encode(token) for token in SAMPLES}
    assert len(encoded) == len(SAMPLES)
    assert codec.encode(Token(Party.OPERATOR, 9, 3)) != codec.encode(Token(Party.VISITOR, 9, 3))


@pytest.mark.parametrize("token", SAMPLES, ids=str)
def test_changing_any_character_is_rejected(codec: TokenCodec, token: Token) -> None:
    text = codec.encode(token)
    accepted = [
        (position, replacement)
        for position, original in enumerate(text)
        for replacement in ALPHABET
        if replacement != original
        and codec.decode(text[:position] + replacement + text[position + 1 :]) is not None
    ]
    assert accepted == []


@pytest.mark.parametrize("token", SAMPLES, ids=str)
def test_cutting_or_extending_is_rejected(codec: TokenCodec, token: Token) -> None:
    text = codec.encode(token)
    assert codec.decode(text[:-1]) is None
    assert codec.decode(text[1:]) is None
    assert codec.decode(text + "a") is None
    assert codec.decode(text + "aaaaaaaa") is None


@pytest.mark.parametrize("garbage", ["", "a", "!!!!", "0189", "a" * 20, "=" * 16, "тест"])
def test_garbage_is_rejected(codec: TokenCodec, garbage: str) -> None:
    assert codec.decode(garbage) is None


def test_another_secret_does_not_verify(codec: TokenCodec) -> None:
    text = codec.encode(Token(Party.OPERATOR, 1, 1))
    assert TokenCodec(["someone-else"]).decode(text) is None


def test_key_rotation_old_key_verifies_new_key_signs() -> None:
    old = TokenCodec(["old-key"])
    rotated = TokenCodec(["new-key", "old-key"])
    token = Token(Party.VISITOR, 42, 7)

    assert rotated.decode(old.encode(token)) == token
    fresh = rotated.encode(token)
    assert fresh == TokenCodec(["new-key"]).encode(token)
    assert old.decode(fresh) is None
    assert TokenCodec(["new-key"]).decode(old.encode(token)) is None


@pytest.mark.parametrize("keys", [[], [""]])
def test_a_codec_needs_a_key(keys: list[str]) -> None:
    with pytest.raises(ValueError, match="secret key"):
        TokenCodec(keys)


def test_bounce_address(codec: TokenCodec) -> None:
    address = codec.bounce_address(ADDRESS, 99)
    local, domain = address.split("@")
    assert domain == "example.com"
    assert local.startswith("support+b.")
    assert codec.decode(local.removeprefix("support+b.")) == Token(Party.BOUNCE, 0, 99)


def test_bounce_tokens_never_route_by_message_id(codec: TokenCodec) -> None:
    message_id = codec.message_id(Token(Party.BOUNCE, 0, 99), "x", "example.com")
    assert codec.from_message_ids([message_id]) is None


@pytest.mark.parametrize(
    "template",
    [
        "other+{token}@example.com",
        "support+{token}@example.org",
        "support+{token}@evil.example.com",
        "support+{token}@example.com.evil.test",
        "xsupport+{token}@example.com",
        "support+{token}x@example.com",
        "support{token}@example.com",
        "support@example.com",
    ],
)
def test_never_trusted_from_another_mailbox_or_domain(codec: TokenCodec, template: str) -> None:
    text = codec.encode(Token(Party.OPERATOR, 5, 1))
    assert codec.from_addresses([template.format(token=text)], ADDRESS) is None


def test_first_valid_token_among_recipients_wins(codec: TokenCodec) -> None:
    good = Token(Party.VISITOR, 8, 2)
    forged = codec.encode(Token(Party.OPERATOR, 8, 1))[:-2] + "aa"
    recipients = [
        "someone@example.org",
        f"support+{forged}@example.com",
        codec.reply_address(ADDRESS, good),
        codec.reply_address(ADDRESS, Token(Party.VISITOR, 9, 9)),
    ]
    assert codec.from_addresses(recipients, ADDRESS) == good


def test_message_ids_of_other_shapes_do_not_route(codec: TokenCodec) -> None:
    text = codec.encode(Token(Party.VISITOR, 3, 3))
    assert codec.from_message_ids([f"{text}@example.com", f"x.{text}.1@example.com", f"rd.{text}@x"]) is None


def test_an_unverified_reply_address_is_named(codec: TokenCodec) -> None:
    token = Token(Party.OPERATOR, 8, 1)
    good = codec.reply_address(ADDRESS, token)
    local, domain = good.split("@")
    altered = f"{local[:-1]}{'a' if local[-1] != 'a' else 'b'}@{domain}"
    old_key = TokenCodec(["old-key"]).reply_address(ADDRESS, token)
    assert codec.unverified_reply_address([good], ADDRESS) is None
    assert codec.unverified_reply_address(["x@example.org", altered.upper()], ADDRESS) == altered
    assert codec.unverified_reply_address([old_key], ADDRESS) == old_key
    assert TokenCodec(["current-key", "old-key"]).unverified_reply_address([old_key], ADDRESS) is None
    assert codec.unverified_reply_address(["support+sales@example.com"], ADDRESS) is None
    bounce_local, _ = codec.bounce_address(ADDRESS, 5).split("@")
    altered_bounce = f"{bounce_local[:-1]}{'a' if bounce_local[-1] != 'a' else 'b'}@{domain}"
    assert codec.from_addresses([altered_bounce], ADDRESS, bounce=True) is None
    assert codec.unverified_reply_address([altered_bounce], ADDRESS) is None, "bounces are not replies"


def test_operator_tokens_carry_the_day_they_were_handed_out(codec: TokenCodec) -> None:
    when = datetime(2026, 12, 7, 23, 59, tzinfo=UTC)
    stamped = Token(Party.OPERATOR, 8, 1).stamped(when)
    assert codec.decode(codec.encode(stamped)) == stamped
    assert stamped.issued_on() == date(2026, 12, 7)
    assert Token(Party.VISITOR, 8, 1).stamped(when).issued_day is None, "only operator addresses expire"
    assert codec.encode(stamped) != codec.encode(Token(Party.OPERATOR, 8, 1))
