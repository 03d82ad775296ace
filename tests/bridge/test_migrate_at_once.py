"""Several processes starting at once each migrate the same empty database: all succeed, once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect, text

from bridge.db import make_engine
from tests.support.process import REPO, write_config

PROCESSES = 4


def test_processes_migrating_at_once_all_succeed(tmp_path: Path, db_url: str) -> None:
    config = tmp_path / "config.toml"
    write_config(
        config,
        {
            "site": {"secret_key": "migration-test-secret-of-thirty-two-bytes"},
            "database": {"url": db_url},
            "mail": {"address": "support@example.com"},
        },
    )
    command = [sys.executable, "-m", "bridge", "--config", str(config), "migrate"]
    running = [
        subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(PROCESSES)
    ]
    results = [(process.wait(timeout=120), process.stderr.read().decode()[-600:]) for process in running]

    assert [code for code, _ in results] == [0] * PROCESSES, results
    engine = make_engine(db_url, str(tmp_path))
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            tables = set(inspect(connection).get_table_names())
        assert len(versions) == 1
        assert {"conversation", "message", "spoolitem", "threadreference"} <= tables
    finally:
        engine.dispose()
