"""Alert e-mails through a real SMTP server on loopback (aiosmtpd with STARTTLS and login):
the daily digest at the practice's local time, once (also after a restart), and the outage
and recovery messages; failures give the claim back so the next tick sends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.alerts.mailer import SmtpMailer
from connector.alerts.watcher import AlertWatcher, watcher_for
from connector.clock import FixedClock
from connector.config import ConnectorSettings
from connector.domain import ItemKind, ItemStatus, NewItem
from connector.errors import AuthError, TransientError
from connector.store import SQLiteStore
from connector.store.console_tables import as_console_store
from tests.console.support import practice_doc
from tests.support import smtp
from tests.support.smtp import SmtpServer

CHICAGO_0700 = dt.datetime(2026, 3, 2, 13, 0, tzinfo=dt.UTC)  # 07:00 in Chicago (CST)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SmtpServer]:
    """aiosmtpd on 127.0.0.1 requiring STARTTLS and login."""
    with smtp.running(tmp_path / "smtp") as running:
        yield running


def _settings(tmp_path: Path, server: SmtpServer, **smtp_extra: Any) -> ConnectorSettings:
    (tmp_path / "inbox").mkdir(exist_ok=True)
    (tmp_path / "smtp_password").write_text(smtp.PASSWORD + "\n")
    return ConnectorSettings.model_validate(
        {
            "state": {"url": f"sqlite:///{tmp_path / 'state.db'}"},
            "console": {"public_url": "https://console.example-dental.test"},
            "alerts": {
                "smtp": {
                    "host": server.host,
                    "port": server.port,
                    "sender": "connector@example.test",
                    "username": {"env": "TEST_SMTP_USER"},
                    "password": {"file": str(tmp_path / "smtp_password")},
                    "ca_file": str(server.ca_file),
                    **smtp_extra,
                },
                "to": ["billing@example.test"],
                "practice_to": {"smile": ["manager@example.test"]},
                "digest": {"at": "07:30"},
                "outage": {"after": "30m"},
            },
            "practices": [practice_doc("smile", tmp_path / "inbox")],
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A real SQLite store."""
    db = SQLiteStore(tmp_path / "state.db")
    db.migrate()
    yield db
    db.close()


@pytest.fixture(autouse=True)
def _smtp_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SMTP_USER", smtp.USER)


def _review(store: SQLiteStore, key: str, amount: str = "85.00") -> None:
    store.record(
        "smile",
        "stripe",
        [
            NewItem(
                key,
                ItemKind.PATIENT_PAYMENT,
                {"txn": key},
                Decimal(amount),
                status=ItemStatus.REVIEW,
                review_reason="patient_not_found",
                review_message="no patient id",
            )
        ],
    )


def test_digest_once_a_day_at_local_time_and_never_twice_after_restart(
    tmp_path: Path, server: SmtpServer, store: SQLiteStore
) -> None:
    """Nothing before 07:30 Chicago; one digest after; none after a restart; next day only the
    new item."""
    settings = _settings(tmp_path, server)
    _review(store, "txn_a")
    _review(store, "txn_b", "12.50")
    clock = FixedClock(CHICAGO_0700)
    watcher = AlertWatcher(settings, as_console_store(store), clock=clock)
    watcher.tick()
    assert server.received == []
    clock.advance(dt.timedelta(minutes=31))
    watcher.tick()
    watcher.tick()
    assert len(server.received) == 1
    mail = server.received[0]
    assert "2 new items waiting for a person (2026-03-02)" in mail["Subject"]
    body = mail.get_payload()
    assert "$85.00 patient payment: patient not in the PMS" in body
    assert "https://console.example-dental.test/items/1" in body
    assert sorted(server.envelopes[0].rcpt_tos) == ["billing@example.test", "manager@example.test"]
    restarted = AlertWatcher(settings, as_console_store(store), clock=clock)
    restarted.tick()
    assert len(server.received) == 1
    _review(store, "txn_c", "40.00")
    clock.advance(dt.timedelta(days=1))
    restarted.tick()
    assert len(server.received) == 2
    second = server.received[1].get_payload()
    assert "$40.00" in second and "$85.00" not in second
    assert "1 new item waiting" in server.received[1]["Subject"]


def test_a_day_without_new_items_sends_nothing(
    tmp_path: Path, server: SmtpServer, store: SQLiteStore
) -> None:
    """No open review: no digest (but the day is done)."""
    watcher = AlertWatcher(
        _settings(tmp_path, server),
        as_console_store(store),
        clock=FixedClock(CHICAGO_0700 + dt.timedelta(hours=1)),
    )
    watcher.tick()
    assert server.received == []


def test_failed_send_is_retried_at_the_next_tick(
    tmp_path: Path, server: SmtpServer, store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong password: nothing sent, the claim is given back; fixed: the next tick sends."""
    _review(store, "txn_a")
    monkeypatch.setenv("TEST_SMTP_USER", "wrong@example.test")
    settings = _settings(tmp_path, server)
    clock = FixedClock(CHICAGO_0700 + dt.timedelta(hours=1))
    watcher = AlertWatcher(settings, as_console_store(store), clock=clock)
    with pytest.raises(AuthError):
        watcher.digest(settings.practices[0])
    assert server.received == [] and not as_console_store(store).alert_sent(
        "smile", "digest", "2026-03-02"
    )
    monkeypatch.setenv("TEST_SMTP_USER", smtp.USER)
    fixed = AlertWatcher(_settings(tmp_path, server), as_console_store(store), clock=clock)
    fixed.tick()
    assert len(server.received) == 1


def test_outage_then_recovery_one_mail_each(
    tmp_path: Path, server: SmtpServer, store: SQLiteStore
) -> None:
    """The PMS failing for 31 minutes sends one outage mail; its recovery one more."""
    settings = _settings(
        tmp_path,
        server,
    )
    settings = settings.model_copy(
        update={
            "alerts": settings.alerts.model_copy(  # type: ignore[union-attr]
                update={"digest": settings.alerts.digest.model_copy(update={"enabled": False})}
            )
        }
    )  # type: ignore[union-attr]
    store.poll_succeeded("smile", "posting", {})
    store.poll_failed("smile", "posting", "pms_unreachable", "the PMS did not answer")
    ok_at = store.poll_states("smile")[0].last_ok_at
    assert ok_at is not None
    clock = FixedClock(ok_at + dt.timedelta(minutes=10))
    watcher = AlertWatcher(settings, as_console_store(store), clock=clock)
    watcher.tick()
    assert server.received == []
    clock.advance(dt.timedelta(minutes=21))
    watcher.tick()
    watcher.tick()
    AlertWatcher(settings, as_console_store(store), clock=clock).tick()  # a restart
    assert len(server.received) == 1
    outage = server.received[0]
    assert "posting to the PMS failing since" in outage["Subject"]
    assert "pms_unreachable" in outage.get_payload()
    store.poll_succeeded("smile", "posting", {})
    clock.advance(dt.timedelta(minutes=5))
    watcher.tick()
    watcher.tick()
    assert len(server.received) == 2
    assert "posting to the PMS works again" in server.received[1]["Subject"]


def test_a_short_failure_sends_nothing(
    tmp_path: Path, server: SmtpServer, store: SQLiteStore
) -> None:
    """Failing for less than outage.after, then working: no mail at all."""
    store.poll_succeeded("smile", "era", {})
    store.poll_failed("smile", "era", "sftp_unreachable", "timeout")
    ok_at = store.poll_states("smile")[0].last_ok_at
    assert ok_at is not None
    clock = FixedClock(ok_at + dt.timedelta(minutes=5))
    settings = _settings(
        tmp_path,
        server,
    )
    watcher = AlertWatcher(settings, as_console_store(store), clock=clock)
    watcher.outages(settings.practices[0])
    store.poll_succeeded("smile", "era", {})
    watcher.outages(settings.practices[0])
    assert server.received == []
    assert as_console_store(store).alert_markers("smile", "failing") == []


def test_no_mail_without_starttls(tmp_path: Path) -> None:
    """A server that offers no STARTTLS gets nothing: no plain-text fallback."""
    with smtp.running(tmp_path / "plain", starttls=False) as plain:
        settings = _settings(tmp_path, plain)
        assert settings.alerts is not None
        with pytest.raises(TransientError) as info:
            SmtpMailer(settings.alerts.smtp).send(_any_message())
        assert info.value.code == "smtp_no_tls", info.value.__cause__
        assert plain.received == []


def test_watcher_only_when_configured(
    tmp_path: Path, server: SmtpServer, store: SQLiteStore
) -> None:
    """The daemon gets a watcher only with an enabled ``alerts:`` section."""
    settings = _settings(tmp_path, server)
    assert watcher_for(settings, store) is not None
    assert watcher_for(settings.model_copy(update={"alerts": None}), store) is None


def _any_message() -> Any:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.test", "b@example.test", "x"
    msg.set_content("x")
    return msg


def test_check_config_reaches_the_mail_server(
    tmp_path: Path,
    server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """check-config connects, STARTTLS, logs in (sends nothing) and says so; a wrong
    password is reported as credentials refused."""
    from connector.commands.check_config import check_services
    from connector.config import load_config
    from tests.support.configs import od_practice, write_config

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
        "to": ["b@example.test"],
    }
    env = {
        "TEST_OD_DEV": "d",
        "TEST_OD_CUST": "c",
        "TEST_OD_ODBC": "x",
        "TEST_SMTP_USER": smtp.USER,
    }
    loaded = load_config(write_config(tmp_path, [od_practice("a")], alerts=alerts), environ=env)
    assert check_services(loaded) == [
        ("alerts", f"ok: {server.host}:{server.port} (starttls, login accepted)")
    ]
    assert server.received == []
    (tmp_path / "pw").write_text("wrong")
    loaded = load_config(write_config(tmp_path, [od_practice("a")], alerts=alerts), environ=env)
    [(target, outcome)] = check_services(loaded)
    assert target == "alerts"
    assert outcome.startswith("FAILED: credentials refused [smtp_auth]")
