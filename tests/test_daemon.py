"""The daemon: practices are isolated, outages are logged once, SIGTERM stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from connector.config import PracticeSettings, load_config
from connector.daemon import Daemon
from connector.errors import AuthError, TransientError
from connector.jobs import PollContext
from connector.redaction import Redactor
from connector.store import SQLiteStore
from tests.support.configs import od_practice, write_config
from tests.support.paths import REPO

ENV = {"TEST_OD_DEV": "dev-key-123", "TEST_OD_CUST": "cust-key-456", "TEST_OD_ODBC": "DSN=od"}


class ScriptedJob:
    """A job whose outcomes are scripted: an exception to raise, or counts to return."""

    def __init__(self, name: str, outcomes: list[object]) -> None:
        self.name = name
        self.outcomes = outcomes
        self.calls = 0

    def poll(self, ctx: PollContext) -> dict[str, int]:
        outcome = self.outcomes[min(self.calls, len(self.outcomes) - 1)]
        self.calls += 1
        if isinstance(outcome, BaseException):
            raise outcome
        assert isinstance(outcome, dict)
        return outcome


def _daemon(tmp_path: Path, jobs: dict[str, list[ScriptedJob]], store: SQLiteStore) -> Daemon:
    path = write_config(tmp_path, [od_practice(pid) for pid in jobs])
    loaded = load_config(path, environ=ENV)

    def factory(practice: PracticeSettings) -> list[ScriptedJob]:
        return jobs[practice.id]

    return Daemon(loaded, store, Redactor(), job_factory=factory)  # type: ignore[arg-type]


def test_one_practice_raising_does_not_stop_another(tmp_path: Path, store: SQLiteStore) -> None:
    """A crashing job of one practice is recorded; the next practice's jobs still run."""
    bad = ScriptedJob("stripe", [ZeroDivisionError("boom")])
    good = ScriptedJob("stripe", [{"recorded": 2}])
    daemon = _daemon(tmp_path, {"a": [bad], "b": [good]}, store)
    outcomes = daemon.run_once()
    assert [(o.practice_id, o.ok, o.code) for o in outcomes] == [
        ("a", False, "unexpected"),
        ("b", True, None),
    ]
    states = {(s.practice_id, s.source): s for s in store.poll_states()}
    assert states[("a", "stripe")].consecutive_failures == 1
    assert states[("b", "stripe")].last_summary == {"recorded": 2}


def test_outage_logged_once_and_recovery_once(tmp_path: Path, store: SQLiteStore) -> None:
    """Three failing polls log one error; the first success after them logs one recovery."""
    down = TransientError("PMS unreachable", code="pms_unreachable")
    job = ScriptedJob("posting", [down, down, down, {"posted": 1}, {"posted": 0}])
    daemon = _daemon(tmp_path, {"a": [job]}, store)
    with capture_logs() as logs:
        for _ in range(5):
            daemon.run_once()
    events = [e["event"] for e in logs]
    assert events.count("poll.failed") == 1
    assert events.count("poll.still_failing") == 2
    assert events.count("poll.recovered") == 1
    failed = next(e for e in logs if e["event"] == "poll.failed")
    assert failed["error_code"] == "pms_unreachable"


def test_auth_error_pauses_only_that_job(tmp_path: Path, store: SQLiteStore) -> None:
    """An auth failure logs one line with a check-config hint; other practices continue."""
    refused = ScriptedJob("stripe", [AuthError("Stripe refused the API key")])
    other = ScriptedJob("stripe", [{"recorded": 1}])
    daemon = _daemon(tmp_path, {"a": [refused], "b": [other]}, store)
    with capture_logs() as logs:
        outcomes = daemon.run_once()
    assert [o.ok for o in outcomes] == [False, True]
    auth = [e for e in logs if e["event"] == "practice.auth_failed"]
    assert len(auth) == 1 and "check-config" in auth[0]["hint"]


def test_run_once_cli_then_status_shows_the_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --once` prints an outcome per job; `status` then shows the polls it made."""
    from connector.cli import main

    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    path = write_config(tmp_path, [od_practice("a")])
    code = main(["--config", str(path), "run", "--once"])
    out = capsys.readouterr().out
    assert code == 0  # an Open Dental practice with no sources: only the posting job runs
    assert "posting" in out
    assert main(["--config", str(path), "status"]) == 0
    status = capsys.readouterr().out
    assert "a (opendental)" in status and "posting" in status and "last ok 20" in status


@pytest.mark.timeout(60)
def test_sigterm_finishes_the_current_item_and_exits_cleanly(tmp_path: Path) -> None:
    """SIGTERM while an item is in progress: the item completes, the daemon exits 0."""
    config = write_config(tmp_path, [od_practice("a")])
    out = tmp_path / "progress.txt"
    env = {**os.environ, **ENV, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.slow_daemon", str(config), str(out)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "start 2" not in (
        out.read_text() if out.exists() else ""
    ):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr.decode()
    lines = out.read_text().split()
    started = [int(n) for w, n in zip(lines[::2], lines[1::2], strict=True) if w == "start"]
    ended = [int(n) for w, n in zip(lines[::2], lines[1::2], strict=True) if w == "end"]
    assert started == ended, "an item was cut off mid-way"
    assert 2 <= len(ended) < 50, "the daemon should stop soon after SIGTERM"
    assert b"daemon.stopping" in stderr and b"daemon.stopped" in stderr


def test_each_job_run_logs_one_summary_line_with_its_context(
    tmp_path: Path, store: SQLiteStore
) -> None:
    """Every job run ends with one JSON `poll.summary` carrying practice, source and run id."""
    import io
    import json

    from connector.logging import configure_logging

    buf = io.StringIO()
    configure_logging(redactor=Redactor(), fmt="json", stream=buf)
    jobs = {"a": [ScriptedJob("stripe", [{"recorded": 4}]), ScriptedJob("era", [{"files": 1}])]}
    _daemon(tmp_path, jobs, store).run_once()
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    summaries = [e for e in lines if e["event"] == "poll.summary"]
    assert [
        (e["practice_id"], e["source"], e.get("recorded", e.get("files"))) for e in summaries
    ] == [
        ("a", "stripe", 4),
        ("a", "era", 1),
    ]
    assert summaries[0]["run_id"] != summaries[1]["run_id"]


def test_diagnostics_bundle_has_state_but_no_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`diagnostics` shows config, polls and errors by code, with every secret removed."""
    import json

    from connector.cli import main

    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    path = write_config(tmp_path, [od_practice("a")])
    store = SQLiteStore(tmp_path / "state.db")
    store.migrate()
    store.poll_failed("a", "stripe", "rate_limited", "Stripe answered 429")
    store.close()
    assert main(["--config", str(path), "diagnostics"]) == 0
    out = capsys.readouterr().out
    for secret in ENV.values():
        assert secret not in out
    bundle = json.loads(out)
    api = bundle["config"]["practices"][0]["pms"]["api"]
    assert api["developer_key"] == "<secret from environment variable TEST_OD_DEV>"
    assert bundle["recent_errors_by_code"] == {"a": {"rate_limited": 1}}
    assert "era_parser" not in bundle  # one pure-Python parser: nothing to report
