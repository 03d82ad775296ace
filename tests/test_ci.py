"""CI (`.ci/run`) lints before it tests, and a lint failure fails the run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_ci_with_make(tmp_path: Path, failing: str = "") -> tuple[int, list[str]]:
    """Run .ci/run with a `make` that only records its targets (and fails on `failing`)."""
    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "make"
    fake.parent.mkdir()
    fake.write_text(
        f'#!/bin/sh\necho "$*" >> {calls}\n[ "$*" = "{failing}" ] && exit 1\nexit 0\n', encoding="utf-8"
    )
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(REPO / ".ci" / "run")], env=env, capture_output=True, check=False)
    recorded = calls.read_text(encoding="utf-8").split() if calls.exists() else []
    return done.returncode, recorded


def test_ci_runs_lint_then_tests(tmp_path: Path) -> None:
    assert run_ci_with_make(tmp_path) == (0, ["lint", "test"])


def test_a_lint_failure_fails_ci_before_the_tests(tmp_path: Path) -> None:
    code, recorded = run_ci_with_make(tmp_path, failing="lint")
    assert code != 0
    assert recorded == ["lint"]
