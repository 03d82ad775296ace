"""Hours and autoreply rules reload without a restart: on a change of config.toml and on SIGHUP."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_autoreply_loop import send
from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink

RULE = (
    '\n[hours]\ntimezone = "UTC"\n'
    '\n[[autoreply]]\nname = "closed"\nwhen = "{when}"\ntrigger = "new_conversation"\ntext = "{text}"\n'
)


@pytest.fixture
def desk(tmp_path: Path, db_url: str) -> Iterator[tuple[RelaydeskProcess, SmtpSink, str]]:
    sink = SmtpSink().start()
    process = RelaydeskProcess(tmp_path, db_url, sink.port)
    base = process.config.read_text(encoding="utf-8")
    process.config.write_text(base + RULE.format(when="outside_hours", text="First answer"), encoding="utf-8")
    process.start()
    yield process, sink, base
    assert process.stop() == 0
    sink.stop()


def autoreply_to(sink: SmtpSink, address: str) -> str:
    return sink.wait_for(1, address)[0].body()


def wait_for_log(process: RelaydeskProcess, text: str, times: int = 1, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while process.log.read_text(encoding="utf-8").count(text) < times:
        assert time.monotonic() < deadline, f"the log never said {text!r}"
        time.sleep(0.1)


def test_rules_reload_and_a_bad_file_keeps_the_old_ones(desk: tuple[RelaydeskProcess, SmtpSink, str]) -> None:
    process, sink, base = desk
    send(process.smtp_port, "a@example.net", "one")
    assert "First answer" in autoreply_to(sink, "a@example.net")

    # A changed file is picked up by itself.
    second = base + RULE.format(when="outside_hours", text="Second answer")
    process.config.write_text(second, encoding="utf-8")
    wait_for_log(process, "reloaded working hours and 1 autoreply rules")
    send(process.smtp_port, "b@example.net", "two")
    assert "Second answer" in autoreply_to(sink, "b@example.net")

    # A bad file is reported, and the rules in force stay.
    refused = "config not reloaded, the old rules stay: [[autoreply]][0].when: must be one of"
    process.config.write_text(base + RULE.format(when="at-night", text="Broken"), encoding="utf-8")
    wait_for_log(process, refused)
    # The file does not change again, so a second report can only come from the signal.
    os.kill(process.pid, signal.SIGHUP)
    wait_for_log(process, refused, times=2)
    send(process.smtp_port, "c@example.net", "three")
    assert "Second answer" in autoreply_to(sink, "c@example.net")
