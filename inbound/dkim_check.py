"""Does a mail carry a DKIM signature that verifies for its sender's domain?

The key lookup is a parameter (`dnsfunc(name: bytes, timeout=...) -> TXT bytes | None`, as dkimpy
takes it); None means dkimpy's own DNS lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dkim

DnsFunc = Callable[..., bytes | None]


@dataclass(frozen=True)
class DkimVerdict:
    passed: bool
    reason: str = ""  # why it did not pass, naming the domain


def check_dkim(raw: bytes, sender_domain: str, dnsfunc: DnsFunc | None = None) -> DkimVerdict:
    """Passes when some DKIM-Signature verifies and its d= is `sender_domain` or a parent of it."""
    domain = sender_domain.lower().rstrip(".")
    named = domain or "no sender domain"
    lookup = dnsfunc if dnsfunc is not None else dkim.get_txt
    try:
        verifier = dkim.DKIM(raw)
    except Exception:  # dkimpy raises many kinds on malformed mail; unreadable means unverified
        return DkimVerdict(False, f"DKIM signature invalid for {named} (unreadable mail)")
    count = sum(1 for name, _ in verifier.headers if name.lower() == b"dkim-signature")
    if count == 0:
        return DkimVerdict(False, f"DKIM signature missing for {named}")
    seen: list[str] = []
    for index in range(count):
        signer_domain, verified = _verify_one(verifier, index, lookup)
        if verified and _aligned(signer_domain, domain):
            return DkimVerdict(True)
        seen.append(f"d={signer_domain or '?'} {'verifies' if verified else 'does not verify'}")
    return DkimVerdict(False, f"DKIM signature invalid for {named} ({'; '.join(seen)})")


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
