"""The real daemon runs Stripe polls per practice; one refused key does not stop the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from structlog.testing import capture_logs

from connector.clock import FixedClock
from connector.config import ConnectorSettings, LoadedConfig
from connector.daemon import Daemon
from connector.redaction import Redactor
from connector.sources.stripe import StripeSource
from connector.store import SQLiteStore
from tests.sources.stripe.support import API_BASE, NOW
from workshop.sandbox.stripe_data import DemoPractice, StripeDataset, demo_dataset
from workshop.sandbox.stripe_emulator import StripeEmulator

GOOD_KEY = "sk_test_goodPracticeKey1"
BAD_KEY = "sk_test_revokedPractice1"


def config(practices: list[dict[str, Any]]) -> LoadedConfig:
    """A loaded configuration for the given practice dicts."""
    return LoadedConfig(settings=ConnectorSettings.model_validate({"practices": practices}),
                        path=None)  # fmt: skip


def practice(pid: str, key: str, base: str = API_BASE) -> dict[str, Any]:
    return {"id": pid, "pms": {"vendor": "eaglesoft", "odbc": {"dsn": "unused"}},
            "payments": {"stripe": {"api_key": {"value": key}, "api_base": base}}}  # fmt: skip


def test_auth_error_pauses_only_that_practice(
    emulate: Callable[[StripeDataset], StripeEmulator], store: SQLiteStore
) -> None:
    """A refused key fails its practice once with a clear log line; the other is recorded."""
    emulator = emulate(demo_dataset([DemoPractice("good", GOOD_KEY, ("1", "2", "3"))], now=NOW))
    loaded = config([practice("bad", BAD_KEY), practice("good", GOOD_KEY)])

    def only_stripe(p: Any) -> list[Any]:
        source = StripeSource(p, sleep=lambda _s: None, buckets=[])
        return [source]

    daemon = Daemon(
        loaded, store, Redactor([GOOD_KEY, BAD_KEY]), job_factory=only_stripe, clock=FixedClock(NOW)
    )
    with capture_logs() as logs:
        outcomes = daemon.run_once()
    by_practice = {o.practice_id: o for o in outcomes}
    assert by_practice["bad"].ok is False and by_practice["bad"].code == "stripe_auth_failed"
    assert by_practice["good"].ok is True and by_practice["good"].summary is not None
    assert by_practice["good"].summary["items_new"] > 0
    auth = [e for e in logs if e["event"] == "practice.auth_failed"]
    assert len(auth) == 1
    assert auth[0]["request_id"].startswith("req_") and "check-config" in auth[0]["hint"]
    assert store.find_item("bad", "anything") is None
    states = {s.practice_id: s for s in store.poll_states()}
    assert states["bad"].last_error_code == "stripe_auth_failed"
    assert states["good"].last_error_code is None
    bad_requests = [r for r in emulator.requests if r["status"] == 401]
    assert len(bad_requests) == 1  # no retries of a refused key
