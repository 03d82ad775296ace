"""check_dkim: a signature passes only when it verifies and its d= is the sender's domain or a parent."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from inbound.dkim_check import check_dkim
from outbound.dkim import DkimSigner
from tests.support.dkim_keys import DkimKey, dns_serving, make_key


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> DkimKey:
    return make_key(tmp_path_factory.mktemp("dkim"))


def mail_from(sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = "Re: Заказ"
    message.set_content("Отправили сегодня.")
    return message.as_bytes()


@pytest.mark.parametrize(
    ("signer", "sender", "passes"),
    [
        ("example.com", "example.com", True),
        ("example.com", "mail.example.com", True),
        ("mail.example.com", "example.com", False),
        ("ample.com", "example.com", False),
        ("example.com.evil.test", "example.com", False),
    ],
)
def test_the_signing_domain_must_be_the_sender_domain_or_its_parent(
    key: DkimKey, signer: str, sender: str, passes: bool
) -> None:
    raw = DkimSigner(signer, "s1", key.private_pem).sign(mail_from(f"olga@{sender}"))
    verdict = check_dkim(raw, sender, dns_serving({f"s1._domainkey.{signer}": key}))
    assert verdict.passed is passes
    if passes:
        assert verdict.reason == ""
    else:
        assert verdict.reason.startswith(f"DKIM signature invalid for {sender} (d={signer} verifies")


def test_no_signature_is_missing(key: DkimKey) -> None:
    verdict = check_dkim(mail_from("olga@example.com"), "example.com", dns_serving({}))
    assert not verdict.passed
    assert verdict.reason == "DKIM signature missing for example.com"


def test_a_second_signature_for_the_right_domain_is_found(
    key: DkimKey, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = make_key(tmp_path_factory.mktemp("other"))
    raw = DkimSigner("example.com", "s1", key.private_pem).sign(mail_from("olga@example.com"))
    raw = DkimSigner("list.test", "s1", other.private_pem).sign(raw)
    dns = dns_serving({"s1._domainkey.example.com": key, "s1._domainkey.list.test": other})
    assert check_dkim(raw, "example.com", dns).passed


def test_a_dns_failure_does_not_pass_and_is_temporary(key: DkimKey) -> None:
    """RFC 6376 temperror: not a pass, and not "does not verify" either; the mail is checked again later."""

    def broken(name: bytes, timeout: float = 5) -> bytes | None:
        raise OSError("no route to the resolver")

    raw = DkimSigner("example.com", "s1", key.private_pem).sign(mail_from("olga@example.com"))
    verdict = check_dkim(raw, "example.com", broken)
    assert not verdict.passed
    assert verdict.temporary
    assert "DKIM key lookup failed for now for example.com" in verdict.reason
    assert "no route to the resolver" in verdict.reason
