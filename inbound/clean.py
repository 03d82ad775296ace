"""Remove quoted history and signatures (minimal version; replaced by the full cleaner)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATTRIBUTION = re.compile(r"^(On .+ wrote:|.+ (написал\(а\)|пишет):)\s*$")


@dataclass(frozen=True)
class CleanedReply:
    text: str
    quoted: str
    signature: str


def clean_text_reply(text: str) -> CleanedReply:
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith(">") or _ATTRIBUTION.match(line.strip()) or line == "-- ":
            rest = "\n".join(lines[index:])
            result = "\n".join(kept).strip()
            return CleanedReply(result or text.strip(), rest, "")
        kept.append(line)
    return CleanedReply(text.strip(), "", "")


def clean_html_reply(html: str) -> str:
    return html


def clean_reply(text: str, html: str | None) -> CleanedReply:
    return clean_text_reply(text)
