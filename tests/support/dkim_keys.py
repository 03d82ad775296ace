"""Test DKIM keys made by the system's openssl, and a DNS stand-in that serves their TXT records."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

OPENSSL = "/usr/bin/openssl"


@dataclass(frozen=True)
class DkimKey:
    private_pem: bytes
    txt_record: bytes  # what goes into SELECTOR._domainkey.DOMAIN

    def write(self, path: Path) -> Path:
        path.write_bytes(self.private_pem)
        return path


def make_key(directory: Path, bits: int = 1024) -> DkimKey:
    private = directory / f"dkim-{bits}-{len(list(directory.glob('dkim-*')))}.pem"
    subprocess.run([OPENSSL, "genrsa", "-out", str(private), str(bits)], check=True, capture_output=True)
    public_der = subprocess.run(
        [OPENSSL, "rsa", "-in", str(private), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public_der)
    return DkimKey(private.read_bytes(), record)


def dns_serving(records: Mapping[str, DkimKey]) -> DnsStub:
    """`records` maps "selector._domainkey.domain" to the key published there."""
    return DnsStub({name.lower().rstrip("."): key.txt_record for name, key in records.items()})


@dataclass(frozen=True)
class DnsStub:
    records: Mapping[str, bytes]

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        return self.records.get(name.decode("ascii").lower().rstrip("."))
