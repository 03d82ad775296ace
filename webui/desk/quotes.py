"""A message's text cut into what the author wrote and what they quoted, so quotes can be folded away.

A quote is a run of lines starting with ">" (blank lines inside it belong to it), together with the
"On ... wrote:" line that introduces it when there is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATTRIBUTION = re.compile(r"(wrote|writes|пишет|написал|написала|написал\(а\))\s*:\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Segment:
    text: str
    quoted: bool


def split_quotes(text: str) -> list[Segment]:
    segments: list[Segment] = []
    lines = text.split("\n")
    own: list[str] = []
    index = 0
    while index < len(lines):
        if not _is_quote(lines[index]):
            own.append(lines[index])
            index += 1
            continue
        end = _quote_end(lines, index)
        quoted = lines[index:end]
        if own and _ATTRIBUTION.search(own[-1]):
            quoted.insert(0, own.pop())
        _add(segments, "\n".join(own).strip("\n"), quoted=False)
        _add(segments, "\n".join(quoted).strip("\n"), quoted=True)
        own = []
        index = end
    _add(segments, "\n".join(own).strip("\n"), quoted=False)
    return segments


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _quote_end(lines: list[str], start: int) -> int:
    """The index after the quote: blank lines continue it only when more quoted lines follow."""
    end = start
    probe = start
    while probe < len(lines) and (_is_quote(lines[probe]) or not lines[probe].strip()):
        if _is_quote(lines[probe]):
            end = probe + 1
        probe += 1
    return end


def _add(segments: list[Segment], text: str, *, quoted: bool) -> None:
    if text.strip():
        segments.append(Segment(text, quoted))
