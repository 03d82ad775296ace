"""Why a mail was set aside, as a code: the English sentence logs and the CLI keep, the same in Russian
for the pages and the operator's refusal email, and rows stored before codes read back as None."""

from __future__ import annotations

import pytest

from chatcore.mail_reasons import MailCode, MailReason, mail_reason, mail_reason_text, refusal_hint
from tests.chatcore.autoreply_support import EN, RU

ARGS: dict[MailCode, dict[str, object]] = {
    MailCode.TOO_LARGE: {"size": 30_000_000, "limit": 26_214_400},
    MailCode.TOO_MANY_HEADERS: {"limit": 1000},
    MailCode.TOO_MANY_PARTS: {"limit": 200},
    MailCode.TOO_DEEP: {"limit": 12},
    MailCode.UNPARSABLE: {"error": "ValueError: bad charset"},
    MailCode.TOKEN_UNVERIFIED: {"address": "support+x7kq@example.com"},
    MailCode.NO_CONVERSATION: {"conversation": 41},
    MailCode.INACTIVE_OPERATOR: {"operator": 7},
    MailCode.NOT_OPERATORS_ADDRESS: {"operator": "olga@example.com", "sender": "mallory@evil.test"},
    MailCode.ADDRESS_EXPIRED: {"issued": "2026-10-01", "days": 30},
    MailCode.DKIM_UNREADABLE: {"domain": "example.com"},
    MailCode.DKIM_MISSING: {"domain": "example.com"},
    MailCode.DKIM_LOOKUP_FAILED: {"domain": "example.com", "error": "timeout"},
    MailCode.DKIM_INVALID: {"domain": "example.com", "error": "d=evil.test verifies"},
    MailCode.UNEXPECTED: {"error": "RuntimeError: bug"},
    MailCode.TEMPORARY: {"error": "OperationalError: database is locked"},
    MailCode.UNKNOWN_COMMAND: {"command": "frobnicate", "commands": "#assign, #close"},
    MailCode.COMMAND_NEEDS_TAG: {"command": "tag"},
    MailCode.COMMAND_NEEDS_ASSIGNEE: {"command": "assign"},
    MailCode.COMMAND_TAKES_NOTHING: {"command": "close", "argument": "now please"},
    MailCode.NO_SUCH_OPERATOR: {"argument": "nobody@example.com"},
    MailCode.COMMANDS_NEED_DKIM: {
        "domain": "example.com",
        "reason": mail_reason(MailCode.DKIM_MISSING, domain="example.com").to_json(),
    },
    MailCode.STILL_FAILING: {
        "reason": mail_reason(MailCode.DKIM_MISSING, domain="a.example").to_json(),
        "hours": "24",
    },
}


@pytest.mark.parametrize("code", list(MailCode))
def test_every_code_reads_in_english_and_in_russian_with_its_arguments(code: MailCode) -> None:
    found = mail_reason(code, **ARGS.get(code, {}))
    english, russian = mail_reason_text(found, EN), mail_reason_text(found, RU)

    assert english == found.english
    assert russian != english
    assert any("а" <= letter <= "я" for letter in russian.lower())
    assert "%(" not in english
    assert "%(" not in russian
    for value in ARGS.get(code, {}).values():
        if isinstance(value, str | int) and not str(value).isdigit():
            assert str(value) in russian


def test_the_english_sentences_are_the_ones_the_logs_and_the_cli_always_showed() -> None:
    assert mail_reason(MailCode.TOO_MANY_PARTS, limit=200).english == (
        "The mail has more than 200 MIME parts (limit max_parts)."
    )
    assert mail_reason(MailCode.NOT_OPERATORS_ADDRESS, operator="olga@example.com", sender="").english == (
        "sent to olga@example.com's reply address from no sender, which is not that operator's address"
    )
    still = mail_reason(MailCode.STILL_FAILING, reason=ARGS[MailCode.STILL_FAILING]["reason"], hours="24")
    assert still.english == "DKIM signature missing for a.example (still failing after 24 h)"


def test_days_take_the_russian_plural_form() -> None:
    def expired(days: int) -> str:
        return mail_reason_text(mail_reason(MailCode.ADDRESS_EXPIRED, issued="2026-10-01", days=days), RU)

    assert "через 1 день." in expired(1)
    assert "через 3 дня." in expired(3)
    assert "через 30 дней." in expired(30)
    assert "after 1 day;" in mail_reason(MailCode.ADDRESS_EXPIRED, issued="2026-10-01", days=1).english


def test_a_missing_sender_is_named_in_the_readers_language() -> None:
    found = mail_reason(MailCode.NOT_OPERATORS_ADDRESS, operator="olga@example.com", sender="")
    assert "пришло от неизвестного отправителя" in mail_reason_text(found, RU)


def test_a_stored_reason_round_trips_and_anything_else_is_none() -> None:
    found = mail_reason(MailCode.DKIM_INVALID, domain="example.com", error="bad")
    assert MailReason.from_json(found.to_json()) == found
    assert MailReason.from_json(None) is None
    assert MailReason.from_json("route: an old sentence") is None
    assert MailReason.from_json({"code": "no_such_code", "args": {}}) is None
    assert MailReason.from_json({"code": "dkim_missing", "args": "not a mapping"}) is None


def test_the_refusal_email_hints_at_what_to_do_next() -> None:
    assert refusal_hint(MailCode.ADDRESS_EXPIRED) == "expired"
    assert refusal_hint(MailCode.ADDRESS_PREDATES_EXPIRY) == "expired"
    assert refusal_hint(MailCode.DKIM_MISSING) == "dkim"
    assert refusal_hint(MailCode.NOT_OPERATORS_ADDRESS) == "address"
    assert refusal_hint(MailCode.UNKNOWN_COMMAND) == "command"
    assert refusal_hint(MailCode.COMMANDS_NEED_DKIM) == "dkim"
