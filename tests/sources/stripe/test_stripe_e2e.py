"""End to end: the daemon polls two practices (one through Connect) on the sandbox server."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.commands.check_config import check_practice
from connector.daemon import Daemon
from connector.redaction import Redactor
from connector.sources.registry import build_sources
from connector.sources.stripe import StripeSource
from connector.store import SQLiteStore
from tests.sources.stripe.test_stripe_daemon import config, practice
from workshop.sandbox.stripe_data import DemoPractice, StripeDataset, demo_dataset
from workshop.sandbox.stripe_server import StripeSandbox

DIRECT_KEY = "sk_test_e2eDirectPractice"
PLATFORM_KEY = "sk_test_e2ePlatformKey01"
CONNECTED = "acct_1E2EConnected001"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[StripeSandbox]:
    """The sandbox Stripe server on 127.0.0.1 (free port) with the demo data of two practices.

    Dates are relative to the real clock, because the daemon polls with the real clock.
    """
    data = demo_dataset([
        DemoPractice("direct", DIRECT_KEY, ("101", "102", "103", "104", "105")),
        DemoPractice("connect", PLATFORM_KEY, ("201", "202", "203", "204", "205"),
                     account=CONNECTED),
    ])  # fmt: skip
    with StripeSandbox(data) as server:
        yield server


def expected_keys(data: StripeDataset, account_id: str) -> set[str]:
    """Every item key a practice should end up with: cleared transactions + manual notices."""
    acct = data.accounts[account_id]
    keys = set()
    for payout in acct.payouts:
        if payout["status"] != "paid":
            continue
        if not payout["automatic"]:
            keys.add(f"{payout['id']}:manual_payout")
            continue
        keys |= {t for t, po in acct.payout_of.items() if po == payout["id"]}
    return keys


def recorded(store: SQLiteStore, practice_id: str) -> list[str]:
    rows = store._conn().execute(
        "SELECT key FROM items WHERE practice_id = ?", (practice_id,)).fetchall()  # fmt: skip
    return [r["key"] for r in rows]


def admin(server: StripeSandbox, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(f"{server.url}/_sandbox/{path}", method=method,
                                     data=json.dumps(body).encode() if body else None)  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_each_cleared_transaction_is_recorded_exactly_once(
    sandbox: StripeSandbox, tmp_path: Path
) -> None:
    """Two daemon runs (with injected 429/500s in the second) record every item exactly once."""
    assert sandbox.url.startswith("http://127.0.0.1:")
    direct = practice("direct", DIRECT_KEY, sandbox.url)
    connect = practice("connect", PLATFORM_KEY, sandbox.url)
    connect["payments"]["stripe"]["account"] = CONNECTED
    loaded = config([direct, connect])
    store = SQLiteStore(tmp_path / "state.db")
    store.migrate()
    waits: list[float] = []

    def factory(p: Any) -> list[Any]:
        return [StripeSource(p, sleep=waits.append)]

    first = Daemon(loaded, store, Redactor(), job_factory=factory).run_once()
    assert all(o.ok for o in first), first
    admin(sandbox, "POST", "faults", {"kind": "status", "status": 429, "count": 1})
    admin(sandbox, "POST", "faults", {"kind": "status", "status": 500, "count": 2})
    second = Daemon(loaded, store, Redactor(), job_factory=factory).run_once()
    assert all(o.ok for o in second), second
    assert len(waits) == 3
    assert all(o.summary is not None and o.summary.get("items_new", 0) == 0 for o in second)
    data = sandbox.emulator.dataset
    direct_account = next(a.id for a in data.accounts.values()
                          if a.connected_to is None and DIRECT_KEY in data.keys
                          and data.keys[DIRECT_KEY].account == a.id)  # fmt: skip
    for practice_id, account_id in (("direct", direct_account), ("connect", CONNECTED)):
        keys = recorded(store, practice_id)
        assert len(keys) == len(set(keys))
        assert set(keys) == expected_keys(data, account_id)
        history = store._conn().execute(
            "SELECT COUNT(*) FROM history WHERE practice_id = ? AND event = 'item.recorded'",
            (practice_id,)).fetchone()[0]  # fmt: skip
        assert history == len(keys)
    connect_items = [store.find_item("connect", k) for k in recorded(store, "connect")]
    destination = [i for i in connect_items if i and i.payload.get("platform_charge")]
    assert len(destination) == 1 and destination[0].payload["patient_ref"] == "203"
    stats = admin(sandbox, "GET", "stats")["stats"]
    assert stats["requests"] > 0
    store.close()


def test_check_config_and_registry_use_the_sandbox(sandbox: StripeSandbox) -> None:
    """The registry builds the Stripe source and ``check-config`` reports the key accepted."""
    connect = practice("connect", PLATFORM_KEY, sandbox.url)
    connect["payments"]["stripe"]["account"] = CONNECTED
    loaded = config([connect])
    settings = loaded.settings.practices[0]
    assert [type(s) for s in build_sources(settings)] == [StripeSource]
    results = dict(check_practice(settings, loaded, Redactor()))
    assert results["stripe"].startswith("ok: Stripe key accepted for connected account")
