"""SQLite store failures (issue #14, item 6): a full disk or a read-only state file is one of
our errors with a code, fails the job once per outage without escaping it, and at start-up
gives a clear message and exit status, never a raw traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from connector.config import PracticeSettings, load_config
from connector.daemon import Daemon
from connector.domain import ItemKind, NewItem
from connector.errors import TransientError
from connector.redaction import Redactor
from connector.store import SQLiteStore
from tests.support.configs import od_practice, write_config
from tests.support.paths import REPO
from tests.test_daemon import ENV, ScriptedJob


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A migrated SQLite store (this file is about SQLite only)."""
    db = SQLiteStore(tmp_path / "state.db")
    db.migrate()
    yield db
    db.close()


def _item(key: str, size: int = 10) -> NewItem:
    return NewItem(key=key, kind=ItemKind.PATIENT_PAYMENT, payload={"pad": "x" * size},
                   amount=Decimal("1.00"))  # fmt: skip


def test_a_read_only_store_raises_our_error(sqlite_store: SQLiteStore) -> None:
    """SQLite refusing to write (SQLITE_READONLY) is TransientError store_read_only, chained."""
    sqlite_store._conn().execute("PRAGMA query_only = ON")
    with pytest.raises(TransientError) as info:
        sqlite_store.record("a", "stripe", [_item("txn_1")])
    assert info.value.code == "store_read_only" and str(sqlite_store.path) in info.value.message
    assert isinstance(info.value.__cause__, sqlite3.Error)


def test_a_full_disk_raises_our_error(sqlite_store: SQLiteStore) -> None:
    """SQLITE_FULL (here: the file may not grow) is TransientError store_disk_full."""
    conn = sqlite_store._conn()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 1}")
    with pytest.raises(TransientError) as info:
        sqlite_store.record("a", "stripe", [_item(f"txn_{n}", 20_000) for n in range(20)])
    assert info.value.code == "store_disk_full"
    assert sqlite_store.find_item("a", "txn_0") is None  # one transaction: nothing half-recorded


def test_a_failing_store_fails_the_job_once_per_outage(
    tmp_path: Path, sqlite_store: SQLiteStore
) -> None:
    """Five runs on a read-only store: the job fails each time, one poll.failed with the
    code, no traceback (poll.crashed) and nothing escapes; writable again: one recovery."""
    job = ScriptedJob("stripe", [{"recorded": 0}])
    loaded = load_config(write_config(tmp_path, [od_practice("a")]), environ=ENV)

    def factory(practice: PracticeSettings) -> list[ScriptedJob]:
        return [job]

    daemon = Daemon(loaded, sqlite_store, Redactor(), job_factory=factory)  # type: ignore[arg-type]
    sqlite_store._conn().execute("PRAGMA query_only = ON")
    with capture_logs() as logs:
        outcomes = [daemon.run_once()[0] for _ in range(5)]
        sqlite_store._conn().execute("PRAGMA query_only = OFF")
        recovered = daemon.run_once()[0]
    assert [o.code for o in outcomes] == ["store_read_only"] * 5 and recovered.ok
    events = [e["event"] for e in logs]
    assert events.count("poll.failed") == 1 and "poll.crashed" not in events
    assert events.count("poll.recovered") == 1
    failed = next(e for e in logs if e["event"] == "poll.failed")
    assert failed["error_code"] == "store_read_only"


def _run(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", "--config", str(config), "run", "--once"],
        cwd=REPO, env={**os.environ, **ENV}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def test_start_up_on_a_damaged_or_unusable_store_is_a_clear_error(tmp_path: Path) -> None:
    """A state file that is not SQLite: exit 1 with ``store_corrupt``; a state folder that
    cannot be created: exit 2 naming it. Neither prints a traceback."""
    (tmp_path / "state.db").write_bytes(b"this is not a database" * 100)
    done = _run(write_config(tmp_path, [od_practice("a")]))
    assert done.returncode == 1 and "error [store_corrupt]" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    config = write_config(other, [od_practice("a")],
                          state={"url": f"sqlite:///{blocker / 'sub' / 'state.db'}"})  # fmt: skip
    done = _run(config)
    assert done.returncode == 2 and "cannot create the folder" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
