"""The first run reads what the admin asked for (``start``), and says which window it reads.

Real HTTP to the sandbox Stripe server on 127.0.0.1; the clock is fixed (NOW), never today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs
from tenacity import wait_fixed

from connector.clock import FixedClock
from connector.commands.check_config import check_practice
from connector.commands.common import Runtime
from connector.commands.status import collect
from connector.jobs import PollContext
from connector.redaction import Redactor
from connector.sources.stripe import StripeSource
from connector.store import SQLiteStore
from tests.sources.stripe.support import DAY, NOW, NOW_TS, make_practice
from tests.sources.stripe.test_stripe_daemon import config, practice
from workshop.sandbox.stripe_data import Builder, KeyGrant, StripeDataset
from workshop.sandbox.stripe_server import StripeSandbox

KEY = "sk_test_firstRunPractice01"
START = (NOW - dt.timedelta(days=31)).date()


def month_of_payouts() -> StripeDataset:
    """A paid payout every third day for a month (ten), two payments each."""
    data = StripeDataset()
    b = Builder(data, NOW_TS, tag="F")
    acct = data.account("acct_1FirstRunOwn001")
    data.keys[KEY] = KeyGrant(acct.id)
    for n in range(10):
        arrival = NOW_TS - (30 - 3 * n) * DAY
        start = len(acct.transactions)
        for i in range(2):
            b.payment(acct, 5000 + i, created=arrival - 2 * DAY,
                      charge_metadata={"pms_patient_id": str(300 + i)})  # fmt: skip
        b.payout(acct, acct.transactions[start:], arrival=arrival)
    return data


@pytest.fixture
def sandbox() -> Iterator[StripeSandbox]:
    """The sandbox server with a month of paid payouts."""
    with StripeSandbox(month_of_payouts()) as server:
        yield server


def poll(sandbox: StripeSandbox, store: SQLiteStore, **stripe: Any) -> dict[str, int]:
    settings = make_practice("smile", key=KEY, api_base=sandbox.url, **stripe)
    ctx = PollContext(practice=settings, store=store, redactor=Redactor(),
                      log=structlog.get_logger("test"), clock=FixedClock(NOW))  # fmt: skip
    source = StripeSource(settings, sleep=lambda s: None, wait=wait_fixed(0.5), buckets=[])
    return source.poll(ctx)


def payment_count(store: SQLiteStore) -> int:
    return int(store._conn().execute(
        "SELECT COUNT(*) FROM items WHERE kind = 'patient_payment'").fetchone()[0])  # fmt: skip


def test_without_start_the_first_poll_says_how_far_back_it_looked(
    sandbox: StripeSandbox, store: SQLiteStore
) -> None:
    """Default look-back (3d): one payout of ten, and a warning naming the window and `start`."""
    with capture_logs() as logs:
        summary = poll(sandbox, store)
    assert summary["payouts_recorded"] == 1 and payment_count(store) == 2
    window = [e for e in logs if e["event"] == "stripe.window"]
    assert len(window) == 1 and window[0]["log_level"] == "warning"
    assert window[0]["basis"] == "lookback" and window[0]["first_run"] is True
    assert window[0]["since"] == "2026-11-17T15:00+00:00"
    assert "payments.stripe.start" in window[0]["hint"]


def test_start_reads_every_paid_payout_since_that_date(
    sandbox: StripeSandbox, store: SQLiteStore
) -> None:
    """``start`` a month back: all ten payouts; the next poll is back to the look-back."""
    with capture_logs() as logs:
        summary = poll(sandbox, store, start=START.isoformat())
    assert summary["payouts_recorded"] == 10 and payment_count(store) == 20
    window = next(e for e in logs if e["event"] == "stripe.window")
    assert window["basis"] == "start" and window["since"] == f"{START.isoformat()}T00:00+00:00"
    with capture_logs() as logs:
        again = poll(sandbox, store, start=START.isoformat())
    assert again.get("items_new", 0) == 0
    later = next(e for e in logs if e["event"] == "stripe.window")
    assert later["basis"] == "cursor" and later["first_run"] is False


def test_a_first_run_cut_short_resumes_from_start(
    sandbox: StripeSandbox, store: SQLiteStore
) -> None:
    """Every 429 ends a poll (no wait budget): later polls still reach back to ``start``."""
    sandbox.emulator.inject(kind="status", status=429, every=3)
    for _ in range(40):
        summary = poll(sandbox, store, start=START.isoformat(), rate_limit_wait="0s")
        if not summary.get("rate_limit_stops"):
            break
    assert not summary.get("rate_limit_stops")
    assert payment_count(store) == 20


def test_check_config_and_status_show_the_window(
    sandbox: StripeSandbox, store: SQLiteStore
) -> None:
    """check-config states the first-run window; status the one the next poll reads."""
    entry = practice("smile", KEY, sandbox.url)
    entry["payments"]["stripe"]["start"] = START.isoformat()
    loaded = config([entry])
    results = dict(check_practice(loaded.settings.practices[0], loaded, Redactor()))
    assert results["stripe"].startswith("ok: Stripe key accepted for own account")
    assert f"first run reads payouts that arrived since {START.isoformat()} (start)" in results[
        "stripe"]  # fmt: skip
    rt = Runtime(loaded, Redactor(), store, FixedClock(NOW))
    before = collect(rt)["practices"]["smile"]["stripe_window"]
    assert before["basis"] == "start" and before["words"].startswith(
        f"first run: payouts that arrived since {START.isoformat()}")  # fmt: skip
    poll(sandbox, store, start=START.isoformat())
    after = collect(rt)["practices"]["smile"]["stripe_window"]
    newest = dt.datetime.fromtimestamp(NOW_TS - 3 * DAY - 3 * DAY, dt.UTC)
    assert after["basis"] == "cursor" and after["since"] == newest.isoformat(timespec="minutes")
    assert "before the newest payout recorded" in after["words"]
