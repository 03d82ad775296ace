"""Run the reply-cleaning corpus: exact matches overall, per client, per third-party source and for the
tuning cases, the time per message, and apart from all that the held-out set's score.

Usage: python bench/replies.py [--show-failures]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inbound.clean import clean_reply
from tests.support.reply_corpus import HELDOUT_SETS, Case, load_cases

REPEATS = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show-failures", action="store_true", help="print expected and actual text")
    args = parser.parse_args()
    cases = load_cases()
    per_group: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for case in cases:
        ok = clean_reply(case.text, case.html).text == case.expected
        per_group[case.group][0] += ok
        per_group[case.group][1] += 1
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
    third_party = [counts for group, counts in per_group.items() if group.startswith("third_party/")]
    third_good, third_total = sum(good for good, _ in third_party), sum(total for _, total in third_party)
    print(f"third-party cases: {third_total}, exact: {third_good} (share {third_good / third_total:.4f})")
    print("per client (own cases) and per source (third_party/…):")
    for group, (good, total) in sorted(per_group.items()):
        print(f"  {group:<22} {good}/{total}")
    print(f"time per message: {elapsed / (REPEATS * len(cases)) * 1e6:.0f} µs")
    _print_failures(failures, args.show_failures)
    for root in HELDOUT_SETS:
        heldout = load_cases(root)
        failures = [case for case in heldout if clean_reply(case.text, case.html).text != case.expected]
        print(f"held-out {root.name} (never tuned on): {len(heldout) - len(failures)}/{len(heldout)} exact")
        _print_failures(failures, args.show_failures)


def _print_failures(failures: list[Case], show: bool) -> None:
    for case in failures:
        print(f"FAIL {case.name}")
        if show:
            print(f"  expected: {case.expected!r}\n  actual:   {clean_reply(case.text, case.html).text!r}")


if __name__ == "__main__":
    main()
