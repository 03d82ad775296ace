"""Tell human mail from automatic mail (minimal version; replaced by the full classifier)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from inbound.parse import ParsedMail


class MailKind(StrEnum):
    HUMAN = "human"
    AUTO = "auto"
    BOUNCE = "bounce"
    LIST = "list"
    LOOP = "loop"


@dataclass(frozen=True)
class Classification:
    kind: MailKind
    reason: str
    bounced_recipients: tuple[str, ...] = ()
    bounce_permanent: bool = False

    @property
    def is_automatic(self) -> bool:
        return self.kind is not MailKind.HUMAN


def classify(
    mail: ParsedMail, envelope_sender: str | None, *, own_addresses: frozenset[str], own_origin: str
) -> Classification:
    if mail.header("X-Relaydesk-Origin") == own_origin or mail.from_address in own_addresses:
        return Classification(MailKind.LOOP, "our own mail came back")
    auto = (mail.header("Auto-Submitted") or "no").strip().lower()
    if auto != "no":
        return Classification(MailKind.AUTO, f"Auto-Submitted: {auto}")
    return Classification(MailKind.HUMAN, "")
