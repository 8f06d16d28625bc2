"""The daemon with practice leases on a real PostgreSQL store: jobs run only where the lease
is held, stop between items when it is lost, and SIGTERM gives every lease back."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from connector.cli import main
from connector.commands.common import runtime
from connector.config import PracticeSettings, load_config
from connector.daemon import Daemon
from connector.jobs import PollContext
from connector.leases import LeaseKeeper
from connector.redaction import REDACTED, Redactor
from connector.store import open_store, redact_url, url_secrets
from tests.support.configs import od_practice, write_config
from tests.support.paths import REPO
from tests.test_daemon import ENV, ScriptedJob

pytestmark = pytest.mark.external_service


class ItemJob:
    """Works through ten items, checking ``ctx.stop`` before each; a hook runs after item n."""

    name = "posting"

    def __init__(self, after_item: int = -1, hook: object = None) -> None:
        self.after_item = after_item
        self.hook = hook
        self.done = 0

    def poll(self, ctx: PollContext) -> dict[str, int]:
        for n in range(10):
            if ctx.stop.is_set():
                break
            self.done += 1
            if n == self.after_item and callable(self.hook):
                self.hook()
        return {"items": self.done}


def _daemon(config: Path, jobs: dict[str, list[object]]) -> Daemon:
    loaded = load_config(config, environ=ENV)
    store = open_store(loaded.settings.state.url)

    def factory(practice: PracticeSettings) -> list[object]:
        return jobs[practice.id]

    return Daemon(loaded, store, Redactor(), job_factory=factory)  # type: ignore[arg-type]


def _config(tmp_path: Path, url: str, practices: list[str], **leases: object) -> Path:
    return write_config(
        tmp_path, [od_practice(p) for p in practices], state={"url": url}, leases=leases
    )


def test_leases_default_on_for_postgresql_and_off_for_sqlite(
    tmp_path: Path, postgres_url: str
) -> None:
    """`enabled: auto` means leases with PostgreSQL, none with SQLite; `true` forces them."""
    pg = _daemon(_config(tmp_path, postgres_url, ["a"]), {"a": []})
    lite_url = f"sqlite:///{tmp_path / 'lite.db'}"
    lite = _daemon(_config(tmp_path, lite_url, ["a"]), {"a": []})
    forced = _daemon(_config(tmp_path, lite_url, ["a"], enabled=True), {"a": []})
    off = _daemon(_config(tmp_path, postgres_url, ["a"], enabled=False), {"a": []})
    assert pg.leases is not None and forced.leases is not None
    assert lite.leases is None and off.leases is None
    for daemon in (pg, lite, forced, off):
        daemon.store.close()


def test_jobs_of_practices_leased_elsewhere_are_skipped(tmp_path: Path, postgres_url: str) -> None:
    """While instance B holds both practices, A's run skips them; once B releases, A runs them."""
    config = _config(tmp_path, postgres_url, ["a", "b"], ttl="30s")
    jobs_a = {"a": [ScriptedJob("stripe", [{"n": 1}])], "b": [ScriptedJob("stripe", [{"n": 2}])]}
    first, second = _daemon(config, jobs_a), _daemon(config, {"a": [], "b": []})
    assert second.leases is not None and second.leases.cycle().acquired == ["a", "b"]
    skipped = first.run_once()
    assert [(o.practice_id, o.skipped) for o in skipped] == [("a", True), ("b", True)]
    assert [job.calls for jobs in jobs_a.values() for job in jobs] == [0, 0]
    assert first.store.poll_states() == [], "a skipped job leaves no poll record"
    second.leases.release_all()
    ran = first.run_once()
    assert [(o.practice_id, o.ok, o.skipped) for o in ran] == [("a", True, False),
                                                              ("b", True, False)]  # fmt: skip
    assert first.store.lease_holders() == {}, "run --once gives its leases back"
    first.store.close()
    second.store.close()


def test_a_job_stops_before_its_next_item_once_the_lease_has_expired(
    tmp_path: Path, postgres_url: str
) -> None:
    """When the lease's deadline passes during item 3, the job does no item 4."""
    clock = [1000.0]
    job = ItemJob(after_item=2, hook=lambda: clock.__setitem__(0, clock[0] + 60))
    daemon = _daemon(_config(tmp_path, postgres_url, ["a"], ttl="30s"), {"a": [job]})
    assert daemon.leases is not None
    daemon.leases.clock = lambda: clock[0]
    with capture_logs() as logs:
        [outcome] = daemon.run_once()
    assert outcome.ok and outcome.summary == {"items": 3}
    released = [e for e in logs if e["event"] == "lease.released"]
    assert [e["practice_id"] for e in released] == ["a"]
    daemon.store.close()


def test_status_names_the_instance_working_each_practice(
    tmp_path: Path,
    postgres_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`connector status` shows which instance holds each practice's lease."""
    config = _config(tmp_path, postgres_url, ["a"])
    store = open_store(postgres_url)
    keeper = LeaseKeeper(store, ["a"], ttl=dt.timedelta(seconds=30), owner="host-1:42:abc")
    keeper.cycle()
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    assert main(["--config", str(config), "status"]) == 0
    assert "worked by: host-1:42:abc" in capsys.readouterr().out
    keeper.release_all()
    store.close()


def test_the_store_password_is_a_secret_for_the_log_redactor(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The password inside state.url is registered with the redactor and hidden in URLs."""
    [password] = url_secrets(postgres_url)
    assert password not in redact_url(postgres_url) and "***" in redact_url(postgres_url)
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    config = _config(tmp_path, postgres_url, ["a"])
    rt = runtime(argparse.Namespace(config=str(config), config_file=None))
    try:
        assert rt.redactor.scrub_text(f"connect failed for {postgres_url}") == (
            f"connect failed for {postgres_url.replace(password, REDACTED)}"
        )
    finally:
        rt.store.close()


@pytest.mark.timeout(90)
def test_sigterm_finishes_the_item_then_releases_every_lease(
    tmp_path: Path, postgres_url: str
) -> None:
    """A real daemon process holds its practice's lease; after SIGTERM the lease is free."""
    config = _config(tmp_path, postgres_url, ["a"], ttl="30s")
    out = tmp_path / "progress.txt"
    env = {**os.environ, **ENV, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.slow_daemon", str(config), str(out)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    observer = open_store(postgres_url)
    try:
        deadline = time.monotonic() + 30
        while "start 1" not in (out.read_text() if out.exists() else ""):
            assert time.monotonic() < deadline and proc.poll() is None, "the daemon did not start"
            time.sleep(0.05)
        [(owner, held)] = observer.lease_holders().items()
        assert held == ["a"]
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 0, stderr.decode()
        assert observer.lease_holders() == {}
    finally:
        if proc.poll() is None:
            proc.kill()
        observer.close()
    lines = out.read_text().split()
    assert lines.count("start") == lines.count("end"), "an item was cut off mid-way"
    log = stderr.decode()
    assert log.count('"lease.acquired"') == 1 and log.count('"lease.released"') == 1
    assert owner in log and log.index('"lease.released"') < log.index('"daemon.stopped"')


def test_a_practice_acquired_later_runs_its_jobs_at_once(tmp_path: Path, postgres_url: str) -> None:
    """When a lease cycle acquires a practice, its hourly job is rescheduled to run now."""
    from apscheduler.schedulers.background import BackgroundScheduler

    job = ScriptedJob("stripe", [{"n": 1}])
    daemon = _daemon(_config(tmp_path, postgres_url, ["a"], ttl="30s"), {"a": [job]})
    other = LeaseKeeper(daemon.store, ["a"], ttl=dt.timedelta(seconds=30), owner="other")
    other.cycle()  # another instance holds "a" when this daemon starts
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start()
    try:
        entry = daemon._practices[0]
        scheduler.add_job(daemon.run_job, "interval", hours=1, id="a:stripe",
                          args=(entry.practice, job, entry.lock))  # fmt: skip
        daemon._scheduler = scheduler
        assert daemon.leases is not None
        daemon.run_leases()
        assert daemon.leases.held() == [] and job.calls == 0
        other.release_all()
        daemon.run_leases()
        deadline = time.monotonic() + 10
        while job.calls == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job.calls == 1, "the job should have run right after the lease was acquired"
    finally:
        scheduler.shutdown(wait=True)
        daemon.leases.release_all()  # type: ignore[union-attr]
        daemon.store.close()
