"""The labelled reply corpus in tests/data/replies/, shared by its test and bench/replies.py.

A case is NAME.expected.txt (what the chat should show) beside its input: NAME.txt (a text part),
NAME.html (an HTML part, with NAME.txt as its text part when both exist) or NAME.eml (a whole message,
read by inbound.parse as incoming mail is). Own cases are named CLIENT__…; the ones in third_party/ are
named SOURCE_… after the project they come from, the ones in tuning/ CLIENT__… again. The held-out set
in tests/data/replies_heldout/ (and the second, tests/data/replies_heldout2/) has the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inbound.parse import parse_mail

CORPUS = Path(__file__).resolve().parents[1] / "data" / "replies"
# Frozen cases never used for tuning, scored apart (see its README.md and known_failures.txt).
HELDOUT = CORPUS.with_name("replies_heldout")
# The second set was written once the first one's misses had been seen and fixed.
HELDOUT_SETS = (HELDOUT, CORPUS.with_name("replies_heldout2"))


@dataclass(frozen=True)
class Case:
    name: str  # path below the corpus without the suffix, e.g. "gmail__en_text_basic"
    group: str  # the client of an own case, "third_party/SOURCE" for a published one
    text: str
    html: str | None
    expected: str


def load_cases(root: Path = CORPUS) -> list[Case]:
    return [_load(path, root) for path in sorted(root.rglob("*.expected.txt"))]


def _load(expected_path: Path, root: Path) -> Case:
    stem = expected_path.name.removesuffix(".expected.txt")
    text, html = _inputs(expected_path.with_name(stem))
    name = str(expected_path.relative_to(root)).removesuffix(".expected.txt")
    if expected_path.parent == root:
        group = stem.split("__", 1)[0]
    else:
        group = f"{expected_path.parent.name}/{stem.split('_', 1)[0]}"
    return Case(name, group, text, html, expected_path.read_text(encoding="utf-8").rstrip("\n"))


def _inputs(base: Path) -> tuple[str, str | None]:
    eml = base.with_name(f"{base.name}.eml")
    if eml.exists():
        parsed = parse_mail(eml.read_bytes())
        return parsed.text, parsed.html
    text_path, html_path = base.with_name(f"{base.name}.txt"), base.with_name(f"{base.name}.html")
    html = html_path.read_text(encoding="utf-8") if html_path.exists() else None
    text = text_path.read_text(encoding="utf-8") if text_path.exists() else ""
    return text, html


def known_failures(root: Path = HELDOUT) -> dict[str, str]:
    """Case name → why it fails, from known_failures.txt ("NAME<tab>reason" lines, "#" comments)."""
    lines = (root / "known_failures.txt").read_text(encoding="utf-8").splitlines()
    entries = [line.split("\t", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {name.strip(): reason.strip() for name, reason in entries}
