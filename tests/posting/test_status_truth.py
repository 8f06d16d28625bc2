"""Status tells the truth: a posting that cannot reach the PMS shows as failing, everywhere.

The PMS is really unreachable: Open Dental's ODBC connection string and API point at a closed
port on 127.0.0.1 and the real MariaDB ODBC driver (through pyodbc) fails to connect.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from connector.cli import main
from connector.clock import FixedClock
from connector.config import load_config
from connector.daemon import Daemon
from connector.domain import ItemKind, ItemStatus
from connector.redaction import Redactor
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, new_stripe, record
from tests.support.configs import od_practice, write_config
from workshop.sandbox.mariadb import MariaDBUnavailable, odbc_driver_name

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def unreachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config for one Open Dental practice whose database and API cannot be reached."""
    try:
        driver = odbc_driver_name()
    except MariaDBUnavailable as exc:
        pytest.skip(str(exc))
    port = closed_port()
    monkeypatch.setenv("TEST_OD_DEV", "dev-key-unused")
    monkeypatch.setenv("TEST_OD_CUST", "cust-key-unused")
    monkeypatch.setenv("TEST_OD_ODBC", f"DRIVER={{{driver}}};SERVER=127.0.0.1;PORT={port};"
                       "UID=reader;PWD=unused;DATABASE=opendental;")  # fmt: skip
    practice: dict[str, Any] = od_practice(PRACTICE)
    practice["pms"]["api"]["base_url"] = f"http://127.0.0.1:{port}/api/v1"  # type: ignore[index]
    practice["pms"]["odbc"]["timeout"] = "3s"  # type: ignore[index]
    return write_config(tmp_path, [practice])


def status(path: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> str:
    capsys.readouterr()
    assert main(["--config", str(path), "status", *flags]) == 0
    return capsys.readouterr().out


def test_dry_run_against_an_unreachable_pms_fails_once_and_status_says_failing(
    unreachable: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One failed posting job (not a ``posting.failed`` line per item), nothing written, and
    ``connector status`` shows posting failing with the error code and since when."""
    loaded = load_config(unreachable)
    store = SQLiteStore(unreachable.parent / "state.db", clock=FixedClock(NOW))
    store.migrate()
    items = record(store, *(new_stripe(ItemKind.PATIENT_PAYMENT, f"txn_{n}", "10.00")  # type: ignore[arg-type]
                            for n in range(12)))  # fmt: skip
    daemon = Daemon(loaded, store, Redactor(loaded.secret_values()), dry_run=True,
                    clock=FixedClock(NOW))  # fmt: skip
    with capture_logs() as logs:
        for _ in range(2):
            (posting,) = [o for o in daemon.run_once() if o.job == "posting"]
            assert not posting.ok and posting.code == "pms_db_unavailable"
    assert [e for e in logs if e["event"] == "posting.failed"] == []
    assert [e["event"] for e in logs].count("poll.failed") == 1  # the outage, logged once
    assert {store.get_item(i.id).status for i in items} == {ItemStatus.RECEIVED}  # type: ignore[union-attr]
    store.close()
    doc = json.loads(status(unreachable, capsys, "--json"))["practices"][PRACTICE]["posting"]
    assert doc["state"] == "failing" and doc["job_failures"] == 2
    assert doc["last_error_code"] == "pms_db_unavailable" and doc["last_error"]
    assert doc["last_ok_at"] is None and doc["last_error_at"] == NOW.isoformat()
    text = status(unreachable, capsys)
    assert "posting: FAILING: 2 runs in a row failed and never succeeded" in text
    assert "[pms_db_unavailable]" in text
