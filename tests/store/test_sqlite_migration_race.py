"""Processes starting together on a fresh SQLite file never race the schema migration
(issue #14, item 6): each migration is applied once, every process starts."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from connector.store.schema import load_migrations
from tests.support.paths import REPO

MIGRATE = (
    "import sys; from connector.store import SQLiteStore; s = SQLiteStore(sys.argv[1]);"
    " print(s.migrate()); s.close()"
)


def test_six_processes_migrating_one_fresh_file(tmp_path: Path) -> None:
    """Six processes migrate one new file at once: all succeed, each version recorded once."""
    path = tmp_path / "state.db"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, str(path)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    results = [proc.communicate(timeout=120) for proc in procs]
    latest = max(v for v, _ in load_migrations("sqlite"))
    assert [p.returncode for p in procs] == [0] * 6, [err[-800:] for _, err in results]
    assert {out.strip() for out, _ in results} == {str(latest)}
    conn = sqlite3.connect(path)
    try:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_version")]
    finally:
        conn.close()
    assert sorted(versions) == sorted(set(versions)) and max(versions) == latest
