"""``connector run`` (the daemon) sends the alerts: its scheduler ticks the watcher."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from connector.config import PracticeSettings, load_config
from connector.daemon import Daemon
from connector.domain import ItemKind, ItemStatus, NewItem
from connector.redaction import Redactor
from connector.store import SQLiteStore
from tests.support import smtp
from tests.support.configs import od_practice, write_config
from tests.support.smtp import SmtpServer

ENV = {
    "TEST_OD_DEV": "d",
    "TEST_OD_CUST": "c",
    "TEST_OD_ODBC": "DSN=x",
    "TEST_SMTP_USER": smtp.USER,
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SmtpServer]:
    """aiosmtpd on 127.0.0.1 requiring STARTTLS and login."""
    with smtp.running(tmp_path / "smtp") as running:
        yield running


class _Idle:
    name = "posting"

    def poll(self, ctx: object) -> dict[str, int]:
        return {}


def test_the_running_daemon_sends_the_digest(
    tmp_path: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``alerts:`` configured, run_forever ticks the watcher: the digest arrives."""
    (tmp_path / "pw").write_text(smtp.PASSWORD)
    alerts = {
        "smtp": {
            "host": server.host,
            "port": server.port,
            "sender": "c@example.test",
            "username": {"env": "TEST_SMTP_USER"},
            "password": {"file": str(tmp_path / "pw")},
            "ca_file": str(server.ca_file),
        },
        "to": ["billing@example.test"],
        "digest": {"at": "00:00"},
    }
    path = write_config(tmp_path, [od_practice("smile")], alerts=alerts)
    loaded = load_config(path, environ=ENV)
    store = SQLiteStore(tmp_path / "state.db")
    store.migrate()
    store.record(
        "smile",
        "stripe",
        [
            NewItem(
                "txn_1",
                ItemKind.PATIENT_PAYMENT,
                {},
                Decimal("5.00"),
                status=ItemStatus.REVIEW,
                review_reason="patient_not_found",
                review_message="no patient",
            )
        ],
    )

    def jobs(practice: PracticeSettings) -> list[_Idle]:
        return [_Idle()]

    daemon = Daemon(loaded, store, Redactor(), job_factory=jobs)  # type: ignore[arg-type]
    monkeypatch.setattr(Daemon, "install_signal_handlers", lambda self: None)

    def stop_after_mail() -> None:
        deadline = time.monotonic() + 30
        while not server.received and time.monotonic() < deadline:
            time.sleep(0.05)
        daemon.request_stop("test")

    stopper = threading.Thread(target=stop_after_mail)
    stopper.start()
    try:
        daemon.run_forever()
    finally:
        stopper.join()
        store.close()
    assert len(server.received) == 1
    assert "1 new item waiting for a person" in server.received[0]["Subject"]
