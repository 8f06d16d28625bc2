"""Count the Stripe HTTP requests one poll makes, against the floor.

Scenario: 1,000 cleared card payments spread over 10 automatic payouts, served by the sandbox
server on 127.0.0.1. The floor is the fewest requests any reader can make with Stripe's list
API: the payout list pages plus, per payout, ⌈transactions / 100⌉ balance-transaction pages
(each payout also holds its own ``payout`` debit transaction, counted as Stripe returns it).
Our poll additionally lists failed payouts once (to catch paid → failed); a second poll of the
same window shows the steady-state cost.

Run: ``.venv/bin/python bench/stripe_calls.py [--payouts 10] [--payments 1000]``
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import structlog

from connector.config import PracticeSettings
from connector.jobs import PollContext
from connector.redaction import Redactor
from connector.sources.stripe import StripeSource
from connector.store import SQLiteStore
from workshop.sandbox.stripe_data import bulk_dataset
from workshop.sandbox.stripe_server import StripeSandbox

KEY = "sk_test_benchmarkKey0001"


def main() -> int:
    """Run the scenario and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--payouts", type=int, default=10)
    parser.add_argument("--payments", type=int, default=1000)
    args = parser.parse_args()
    per_payout = args.payments // args.payouts
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    data = bulk_dataset(KEY, payouts=args.payouts, payments_per_payout=per_payout)
    acct = next(iter(data.accounts.values()))
    with StripeSandbox(data) as sandbox, tempfile.TemporaryDirectory() as tmp:
        practice = PracticeSettings.model_validate({
            "id": "bench", "pms": {"vendor": "eaglesoft", "odbc": {"dsn": "unused"}},
            "payments": {"stripe": {"api_key": {"value": KEY}, "api_base": sandbox.url,
                                    "requests_per_second": 100}},
        })  # fmt: skip
        store = SQLiteStore(Path(tmp) / "state.db")
        store.migrate()
        source = StripeSource(practice)
        ctx = PollContext(practice=practice, store=store, redactor=Redactor(),
                          log=structlog.get_logger("bench"))  # fmt: skip
        started = time.monotonic()
        first = source.poll(ctx)
        elapsed = time.monotonic() - started
        first_requests = sandbox.emulator.stats["requests"]
        sandbox.emulator.reset_stats()
        second = source.poll(ctx)
        second_requests = sandbox.emulator.stats["requests"]
        store.close()
    txn_counts = [sum(1 for po in acct.payout_of.values() if po == p["id"]) for p in acct.payouts]
    payout_pages = max(1, math.ceil(len(acct.payouts) / 100))
    floor = payout_pages + sum(math.ceil(n / 100) for n in txn_counts)
    over = (first_requests - floor) / floor * 100
    rows = [
        ("cleared payments", f"{args.payments:,}"),
        ("payouts", f"{args.payouts}"),
        ("balance transactions listed", f"{sum(txn_counts):,} (incl. each payout's own debit)"),
        ("items recorded (first poll)", f"{first.get('items_new', 0):,}"),
        ("floor: payout pages + sum(ceil(txns/100))", f"{floor}"),
        ("requests, first poll", f"{first_requests}"),
        ("over the floor", f"{over:+.1f} %  (goal: within 10 %)"),
        ("requests, second poll (nothing new)", f"{second_requests}"),
        ("items recorded (second poll)", f"{second.get('items_new', 0)}"),
        ("first poll wall time", f"{elapsed:.2f} s (local sandbox, 100 req/s budget)"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0 if over <= 10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
