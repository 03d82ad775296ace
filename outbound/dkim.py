"""DKIM-sign the mail we send (relaxed/relaxed, rsa-sha256), so receivers can tell it came from us."""

from __future__ import annotations

from dataclasses import dataclass

import dkim
from dkim.crypto import parse_pem_private_key

SIGNED_HEADERS: tuple[bytes, ...] = (
    b"From",
    b"To",
    b"Subject",
    b"Date",
    b"Message-ID",
    b"In-Reply-To",
    b"References",
    b"Reply-To",
    b"MIME-Version",
    b"Content-Type",
    b"Content-Transfer-Encoding",
)


class DkimKeyError(ValueError):
    """The private key cannot be used for signing."""


def check_private_key(pem: bytes) -> None:
    """Raise DkimKeyError unless `pem` holds an RSA private key dkimpy can sign with."""
    try:
        parse_pem_private_key(pem)
    except Exception as exc:  # dkimpy reports a bad key through many unrelated exception types
        raise DkimKeyError(f"not a PEM RSA private key ({type(exc).__name__}: {exc})") from exc


@dataclass(frozen=True)
class DkimSigner:
    domain: str
    selector: str
    private_key_pem: bytes

    def __post_init__(self) -> None:
        check_private_key(self.private_key_pem)

    def sign(self, raw: bytes) -> bytes:
        """The same mail with a DKIM-Signature header on top."""
        present = _header_names(raw)
        signature = dkim.sign(
            raw,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self.private_key_pem,
            canonicalize=(b"relaxed", b"relaxed"),
            signature_algorithm=b"rsa-sha256",
            include_headers=[name for name in SIGNED_HEADERS if name.lower() in present],
        )
        return bytes(signature) + raw


def _header_names(raw: bytes) -> set[bytes]:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return {
        line.split(b":", 1)[0].strip().lower()
        for line in head.splitlines()
        if line and line[:1] not in (b" ", b"\t") and b":" in line
    }
