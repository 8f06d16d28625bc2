"""Open Dental end to end through the real daemon: the API double (on the real MariaDB) chokes
on one item's payload only, or is really down.

A poison item fails alone (retried with backoff, dead after ``max_attempts`` with a message
saying the PMS answered other requests) while the other items post and neither the daemon nor
``connector status`` report an outage. With the API stopped, or answering 5xx to everything,
the outage behaviour is unchanged: the run stops, the item never dies, the outage is logged once.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from adapters.base import marker_for
from connector.cli import main
from connector.config import load_config
from connector.daemon import Daemon, JobOutcome
from connector.domain import ItemKind, ItemStatus
from connector.posting.runner import PMS_UP_NOTE
from connector.redaction import Redactor
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, new_stripe, record
from tests.support.configs import write_config
from tests.support.opendental import CUSTOMER_KEY, DEVELOPER_KEY, OdContext
from workshop.emulated.opendental.seed import Ids
from workshop.sandbox.opendental_api import POISON

pytestmark = pytest.mark.external_service

POSTING = {"max_attempts": 3, "retry_backoff": "1s", "retry_backoff_max": "1s"}
SLOW_POSTING = {"max_attempts": 2, "retry_backoff": "1h", "retry_backoff_max": "1h"}
BACKOFF_SECONDS = 1.2  # a little more than retry_backoff: the failed item is due again
POISON_KEY = "txn_poison"
GOOD_KEYS = ("txn_good_1", "txn_good_2")
PATIENTS = {"txn_good_1": Ids.ANA, POISON_KEY: Ids.CLEO, "txn_good_2": Ids.DAN}


def _daemon(od: OdContext, folder: Path, monkeypatch: pytest.MonkeyPatch,
            posting: dict[str, str | int]) -> Daemon:  # fmt: skip
    """The real daemon for one Open Dental practice (posting job only) on the double, with
    three patient payments recorded, the poison one in the middle."""
    secrets = {"POISON_OD_DEV": DEVELOPER_KEY, "POISON_OD_CUST": CUSTOMER_KEY,
               "POISON_OD_ODBC": od.db.users.read_only}  # fmt: skip
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    practice = {
        "id": PRACTICE,
        "pms": {
            "vendor": "opendental",
            "api": {"base_url": od.api.base_url, "developer_key": {"env": "POISON_OD_DEV"},
                    "customer_key": {"env": "POISON_OD_CUST"}, "timeout": "5s"},
            "odbc": {"connection_string": {"env": "POISON_OD_ODBC"}, "timeout": "10s"},
        },
    }  # fmt: skip
    path = write_config(folder, [practice], posting=posting)
    monkeypatch.setenv("POISON_TEST_CONFIG", str(path))
    loaded = load_config(path)
    store = SQLiteStore(folder / "state.db")
    store.migrate()
    record(store, *(new_stripe(ItemKind.PATIENT_PAYMENT, key, "10.00",  # type: ignore[arg-type]
                               patient_ref=str(PATIENTS[key]), charge=f"ch_{key}")
                    for key in PATIENTS))  # fmt: skip
    return Daemon(loaded, store, Redactor(loaded.secret_values()))


@pytest.fixture
def daemon(od: OdContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Daemon]:
    """The daemon with retries due again after a second (so a test can wait for them)."""
    built = _daemon(od, tmp_path, monkeypatch, POSTING)
    yield built
    built.store.close()


@pytest.fixture
def slow_daemon(od: OdContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Daemon]:
    """The daemon with an hour of backoff: no failed item comes due again during a test."""
    built = _daemon(od, tmp_path, monkeypatch, SLOW_POSTING)
    yield built
    built.store.close()


def _posting(outcomes: list[JobOutcome]) -> JobOutcome:
    (found,) = [o for o in outcomes if o.job == "posting"]
    return found


def _item(daemon: Daemon, key: str) -> Any:
    item = daemon.store.find_item(PRACTICE, key)
    assert item is not None
    return item


def _payments_with_marker(od: OdContext, key: str) -> int:
    sql = "SELECT COUNT(*) FROM payment WHERE LOCATE(?, PayNote) > 0"
    return int(od.db.rows(sql, marker_for(key))[0][0])


def _status(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["--config", os.environ["POISON_TEST_CONFIG"], "status", "--json"]) == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return dict(doc["practices"][PRACTICE]["polls"]["posting"])


def test_poison_item_fails_alone_and_dies_without_an_outage(
    od: OdContext, daemon: Daemon, capsys: pytest.CaptureFixture[str]
) -> None:
    """Open Dental answers 500 to every request carrying the poison item's payment and to
    nothing else: the other payments post in the first run, the poison one is retried with
    backoff and goes dead after max_attempts saying the PMS answered other requests; every
    posting run succeeds, nothing says the PMS is down, and the poison payment is never
    written."""
    od.api.faults.fail(POISON, status=500, method="POST", path="^/payments$", body=POISON_KEY)
    outcomes, logs = [], []
    for n in range(3):
        if n:
            time.sleep(BACKOFF_SECONDS)
        with capture_logs() as run_logs:
            outcomes.append(_posting(daemon.run_once()))
        logs.extend(run_logs)
        if n == 0:
            assert all(_payments_with_marker(od, k) == 1 for k in GOOD_KEYS)
            assert _item(daemon, POISON_KEY).status is ItemStatus.FAILED
            first = _status(capsys)  # while the poison item waits for its retry
    assert all(o.ok for o in outcomes), outcomes
    summaries = [o.summary or {} for o in outcomes]
    assert [(s["posted"], s["failed"], s["dead"]) for s in summaries] == [
        (2, 1, 0), (0, 1, 0), (0, 0, 1)
    ]  # fmt: skip
    poison = _item(daemon, POISON_KEY)
    assert poison.status is ItemStatus.DEAD and poison.attempts == 3
    assert poison.last_error_code == "pms_api_unavailable"
    message = str(daemon.store.history(poison.id)[-1].detail["message"])
    assert message.startswith("gave up after 3 attempts: Open Dental API failed during")
    assert PMS_UP_NOTE in message and "HTTP 500" in message
    assert all(_item(daemon, k).status is ItemStatus.POSTED for k in GOOD_KEYS)
    assert _payments_with_marker(od, POISON_KEY) == 0
    probes = [r for r in od.api.requests if r.method == "GET"]
    assert len(probes) == 3 and all(r.path == "/preferences" and r.status == 200 for r in probes)
    events = [e["event"] for e in logs]
    assert "poll.failed" not in events and "poll.still_failing" not in events
    failed = [e for e in logs if e["event"] == "posting.failed"]
    assert [(e["log_level"], e["pms_up"], e["attempts"]) for e in failed] == [
        ("warning", True, 1), ("warning", True, 2)
    ]  # fmt: skip
    assert set(failed[0]) == {"event", "log_level", "item_id", "error_code", "attempts",
                              "next_attempt_at", "pms_up"}  # fmt: skip
    for polls in (first, _status(capsys)):
        assert polls["consecutive_failures"] == 0 and polls["last_error_code"] is None


@pytest.mark.parametrize("down", ["api_stopped", "every_request_5xx"])
def test_a_real_api_outage_keeps_todays_behaviour(
    od: OdContext, slow_daemon: Daemon, down: str
) -> None:
    """With the API service stopped, or answering 503 to everything (the probe included),
    every run stops at its first item: the received items one per run, then the first item
    again as the outage probe, never dying and without using up its attempts; the outage is
    logged once, and once the API is back the probe posts and the recovery is logged once."""
    daemon = slow_daemon
    if down == "api_stopped":
        od.api.stop()
    else:
        od.api.faults.fail(POISON, status=503)
    with capture_logs() as logs:
        outcomes = [_posting(daemon.run_once()) for _ in range(5)]
        assert [(o.ok, o.code) for o in outcomes] == [(False, "pms_api_unavailable")] * 5
        attempts = [(_item(daemon, k).status, _item(daemon, k).attempts) for k in PATIENTS]
        # 5 failed runs, 3 of them on the first item (more than max_attempts = 2): none counted
        assert attempts == [(ItemStatus.FAILED, 0)] * 3
        assert SLOW_POSTING["max_attempts"] == 2
        od.api.reset()
        if down == "api_stopped":
            od.api.start()
        back = _posting(daemon.run_once())
    assert back.ok and (back.summary or {})["posted"] == 1
    assert _item(daemon, "txn_good_1").status is ItemStatus.POSTED
    assert _payments_with_marker(od, "txn_good_1") == 1
    events = [e["event"] for e in logs]
    assert events.count("poll.failed") == 1 and events.count("poll.recovered") == 1
    assert [e["log_level"] for e in logs if e["event"] == "posting.failed"] == ["debug"] * 5
    assert {e["attempts"] for e in logs if e["event"] == "posting.failed"} == {0}  # as stored
    assert not [e for e in logs if e.get("pms_up")]
