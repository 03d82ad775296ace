"""The held-out reply set: scored apart from the corpus, gated case by case on its known failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbound.clean import clean_reply
from tests.support.reply_corpus import HELDOUT_SETS, known_failures, load_cases

SETS = pytest.mark.parametrize("root", HELDOUT_SETS, ids=[root.name for root in HELDOUT_SETS])


@SETS
def test_heldout_failures_are_exactly_the_known_ones(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = load_cases(root)
    failing = {case.name for case in cases if clean_reply(case.text, case.html).text != case.expected}
    known = known_failures(root)
    with capsys.disabled():
        print(f"\n{root.name}: {len(cases) - len(failing)}/{len(cases)} exact")

    new, fixed = failing - set(known), set(known) - failing
    assert not new, f"new failures: fix them, or list them with a reason in known_failures.txt: {new}"
    assert not fixed, f"these pass now, take them off known_failures.txt: {fixed}"


@SETS
def test_heldout_set_is_large_and_in_both_languages_with_every_known_failure_explained(root: Path) -> None:
    names = [case.name for case in load_cases(root)]
    known = known_failures(root)

    assert len(names) >= 60
    assert sum("__en_" in name for name in names) >= 25
    assert sum("__ru_" in name for name in names) >= 25
    assert set(known) <= set(names)
    assert all(known.values())
