"""Run the reply-cleaning corpus: exact matches overall and per client, and the time per message.

Usage: python bench/replies.py [--show-failures]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inbound.clean import clean_reply

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "replies"
REPEATS = 20


@dataclass(frozen=True)
class Case:
    name: str
    client: str
    text: str
    html: str | None
    expected: str


def load_cases(root: Path = CORPUS) -> list[Case]:
    cases = []
    for expected_path in sorted(root.rglob("*.expected.txt")):
        stem = expected_path.name.removesuffix(".expected.txt")
        text_path, html_path = expected_path.with_name(f"{stem}.txt"), expected_path.with_name(f"{stem}.html")
        html = html_path.read_text(encoding="utf-8") if html_path.exists() else None
        text = text_path.read_text(encoding="utf-8") if text_path.exists() else ""
        client = "third_party" if expected_path.parent != root else stem.split("__", 1)[0]
        expected = expected_path.read_text(encoding="utf-8").rstrip("\n")
        cases.append(Case(stem, client, text, html, expected))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show-failures", action="store_true", help="print expected and actual text")
    args = parser.parse_args()
    cases = load_cases()
    per_client: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for case in cases:
        ok = clean_reply(case.text, case.html).text == case.expected
        per_client[case.client][0] += ok
        per_client[case.client][1] += 1
        if not ok:
            failures.append(case)
    started = time.perf_counter()
    for _ in range(REPEATS):
        for case in cases:
            clean_reply(case.text, case.html)
    elapsed = time.perf_counter() - started
    exact = len(cases) - len(failures)
    print(f"cases: {len(cases)}")
    print(f"exact matches: {exact}")
    print(f"share: {exact / len(cases):.4f}")
    print("per client:")
    for client, (good, total) in sorted(per_client.items()):
        print(f"  {client:<12} {good}/{total}")
    print(f"time per message: {elapsed / (REPEATS * len(cases)) * 1e6:.0f} µs")
    for case in failures:
        print(f"FAIL {case.name}")
        if args.show_failures:
            print(f"  expected: {case.expected!r}\n  actual:   {clean_reply(case.text, case.html).text!r}")


if __name__ == "__main__":
    main()
