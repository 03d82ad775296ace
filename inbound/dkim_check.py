"""Does a mail carry a DKIM signature that verifies for its sender's domain?

The key lookup is a parameter (`dnsfunc(name: bytes, timeout=...) -> TXT bytes | None`, as dkimpy
takes it); None means a DNS lookup through dnspython. A lookup that times out or fails for a reason
that may pass (SERVFAIL, no reachable resolver) makes the verdict temporary ("temperror", RFC 6376
§6.1.2): the mail is neither trusted nor refused, but checked again later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dkim
import dns.exception
import dns.rdatatype
import dns.resolver

from chatcore.mail_reasons import MailCode, MailReason, mail_reason

DnsFunc = Callable[..., bytes | None]
DomainProbe = Callable[[str], bool]  # does this domain publish DKIM keys?
# Names that can never publish keys (RFC 2606, RFC 6761): no DNS question is asked for them.
_RESERVED_SUFFIXES = (
    "example",
    "test",
    "invalid",
    "localhost",
    "local",
    "example.com",
    "example.net",
    "example.org",
)


class DnsTemporaryError(Exception):
    """The key could not be looked up now; it may well be found later."""


@dataclass(frozen=True)
class DkimVerdict:
    passed: bool
    detail: MailReason | None = None  # why it did not pass, naming the domain
    temporary: bool = False  # not verified because a key lookup failed for now (temperror)

    @property
    def reason(self) -> str:
        return self.detail.english if self.detail else ""


def check_dkim(raw: bytes, sender_domain: str, dnsfunc: DnsFunc | None = None) -> DkimVerdict:
    """Passes when some DKIM-Signature verifies and its d= is `sender_domain` or a parent of it."""
    domain = sender_domain.lower().rstrip(".")
    named = domain or "no sender domain"
    lookup = _Lookup(dnsfunc if dnsfunc is not None else _dns_txt)
    try:
        verifier = dkim.DKIM(raw)
    except Exception:  # dkimpy raises many kinds on malformed mail; unreadable means unverified
        return DkimVerdict(False, mail_reason(MailCode.DKIM_UNREADABLE, domain=named))
    count = sum(1 for name, _ in verifier.headers if name.lower() == b"dkim-signature")
    if count == 0:
        return DkimVerdict(False, mail_reason(MailCode.DKIM_MISSING, domain=named))
    seen: list[str] = []
    for index in range(count):
        signer_domain, verified = _verify_one(verifier, index, lookup)
        if verified and _aligned(signer_domain, domain):
            return DkimVerdict(True)
        seen.append(f"d={signer_domain or '?'} {'verifies' if verified else 'does not verify'}")
    if lookup.failures:
        failed = "; ".join(lookup.failures)
        lookup_failed = mail_reason(MailCode.DKIM_LOOKUP_FAILED, domain=named, error=failed)
        return DkimVerdict(False, lookup_failed, temporary=True)
    return DkimVerdict(False, mail_reason(MailCode.DKIM_INVALID, domain=named, error="; ".join(seen)))


class _Lookup:
    """Wraps a DNS function and remembers temporary failures, which dkimpy would take for "no key"."""

    def __init__(self, inner: DnsFunc) -> None:
        self.inner = inner
        self.failures: list[str] = []

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        try:
            return self.inner(name, timeout=timeout)
        except (DnsTemporaryError, dkim.DnsTimeoutError, TimeoutError, OSError) as exc:
            where = name.decode("ascii", "replace").rstrip(".")
            self.failures.append(f"{where}: {exc or type(exc).__name__}")
            raise dkim.DnsTimeoutError(str(exc)) from exc


def _dns_txt(name: bytes, timeout: float = 5) -> bytes | None:
    """The TXT record at `name`; None when there is none (NXDOMAIN, no answer); DnsTemporaryError when
    the lookup failed in a way that may pass (timeout, SERVFAIL, no resolver)."""
    try:
        answer = dns.resolver.resolve(
            name.decode("ascii"), dns.rdatatype.TXT, raise_on_no_answer=False, lifetime=timeout
        )
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.NoResolverConfiguration) as exc:
        raise DnsTemporaryError(f"{type(exc).__name__}: {exc}") from exc
    for record in answer.response.answer:
        if record.rdtype == dns.rdatatype.TXT:
            return b"".join(next(iter(record.items)).strings)
    return None


def _verify_one(verifier: Any, index: int, lookup: DnsFunc) -> tuple[str, bool]:
    verifier.domain = None  # left over from the previous signature otherwise
    try:
        verified = bool(verifier.verify(idx=index, dnsfunc=lookup))
    except Exception:  # a bad signature, key record or DNS failure: this signature does not count
        verified = False
    signer = verifier.domain
    text = signer.decode("ascii", "replace") if isinstance(signer, bytes) else str(signer or "")
    return text.lower().rstrip("."), verified


def _aligned(signer_domain: str, sender_domain: str) -> bool:
    if not signer_domain or not sender_domain:
        return False
    return sender_domain == signer_domain or sender_domain.endswith(f".{signer_domain}")


def publishes_dkim(domain: str, lifetime: float = 3.0) -> bool:
    """Whether `domain` publishes DKIM keys: its `_domainkey` name exists. A name with records below it
    answers NOERROR, one without answers NXDOMAIN (RFC 8020). A DNS failure counts as publishing, so
    a forger cannot skip the check by making it fail; reserved names never publish."""
    name = domain.lower().rstrip(".")
    if not name or any(name == s or name.endswith(f".{s}") for s in _RESERVED_SUFFIXES):
        return False
    try:
        dns.resolver.resolve(f"_domainkey.{name}", "TXT", lifetime=lifetime)
    except dns.resolver.NXDOMAIN:
        return False
    except (dns.resolver.NoAnswer, dns.exception.DNSException):
        return True
    return True
