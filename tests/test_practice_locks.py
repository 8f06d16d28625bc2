"""One process per practice on a SQLite state file: a second process sees who holds a practice,
skips (or waits for) it, and gets it the moment the holder dies — even by SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from connector.config import PracticeSettings, load_config
from connector.daemon import Daemon
from connector.practice_locks import PracticeLocks, lock_folder
from connector.redaction import Redactor
from connector.store import SQLiteStore
from tests.support.configs import od_practice, write_config
from tests.support.paths import REPO
from tests.test_daemon import ENV, ScriptedJob

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from connector.practice_locks import PracticeLocks
    locks = PracticeLocks(Path(sys.argv[1]), "connector run")
    assert locks.try_acquire(sys.argv[2]) is None
    print("holding", flush=True)
    time.sleep(float(sys.argv[3]))
    locks.release(sys.argv[2])
    """
)


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding practice ``a`` of ``tmp_path/state.db`` for up to 120 s."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "state.db"), "a", "120"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "holding"
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()


def _daemon(tmp_path: Path, job: ScriptedJob, store: SQLiteStore, wait: float = 0.0) -> Daemon:
    path = write_config(tmp_path, [od_practice("a")])
    loaded = load_config(path, environ=ENV)

    def factory(practice: PracticeSettings) -> list[ScriptedJob]:
        return [job]

    return Daemon(loaded, store, Redactor(), job_factory=factory, lock_wait=wait)  # type: ignore[arg-type]


def test_a_held_practice_names_its_holder_and_is_free_after_sigkill(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    """While another process holds the practice, it is refused with that process's pid and
    command; SIGKILL frees it at once (the kernel drops the lock), with no lease to expire."""
    locks = PracticeLocks(tmp_path / "state.db", "connector run --once")
    found = locks.try_acquire("a")
    assert found is not None and found.pid == holder.pid and found.command == "connector run"
    assert f"pid {holder.pid} on host" in found.describe()
    assert locks.try_acquire("b") is None  # another practice is free
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert locks.try_acquire("a") is None
    assert locks.holds("a")
    locks.release_all()
    mode = lock_folder(tmp_path / "state.db").stat().st_mode & 0o777
    assert mode == 0o700 and locks.path("a").stat().st_mode & 0o777 == 0o600


def test_the_daemon_skips_a_practice_another_process_works(
    tmp_path: Path, store: SQLiteStore, holder: subprocess.Popen[str]
) -> None:
    """The job does not run while the other process holds the practice; the skip names it
    (logged once, not per job); after the holder is gone the job runs."""
    job = ScriptedJob("posting", [{"posted": 1}])
    daemon = _daemon(tmp_path, job, store)
    with capture_logs() as logs:
        first = daemon.run_once()
        daemon.run_once()
    assert job.calls == 0
    assert first[0].skipped and first[0].held_by is not None
    assert f"pid {holder.pid}" in first[0].held_by
    busy = [e for e in logs if e["event"] == "practice.busy_elsewhere"]
    assert len(busy) == 1 and busy[0]["held_by_pid"] == holder.pid
    holder.kill()
    holder.wait(timeout=30)
    outcomes = daemon.run_once()
    assert job.calls == 1 and outcomes[0].ok and outcomes[0].held_by is None


def test_run_once_waits_its_turn(tmp_path: Path, store: SQLiteStore) -> None:
    """With a wait, the job runs once the other process gives the practice back."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "state.db"), "a", "1"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        job = ScriptedJob("posting", [{"posted": 1}])
        outcomes = _daemon(tmp_path, job, store, wait=60).run_once()
        assert job.calls == 1 and outcomes[0].ok and not outcomes[0].skipped
    finally:
        proc.wait(timeout=60)
        if proc.stdout is not None:
            proc.stdout.close()


def test_run_once_command_refuses_a_held_practice_with_exit_3(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    """``connector run --once --wait 0`` next to a holder: exit 3, the holder named."""
    path = write_config(tmp_path, [od_practice("a")])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "connector.cli",
            "--config",
            str(path),
            "run",
            "--once",
            "--wait",
            "0",
        ],
        cwd=REPO,
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3, done.stderr[-2000:]
    assert f"REFUSED (being worked by pid {holder.pid} on host" in done.stdout
    assert "another connector process on this state file" in done.stderr
