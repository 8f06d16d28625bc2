"""Count the Stripe HTTP requests one poll makes, against the floor.

Scenario: 1,000 cleared card payments spread over 10 automatic payouts, served by the sandbox
server on 127.0.0.1. The floor is the fewest requests any reader can make with Stripe's list
API: the payout list pages plus, per payout, ⌈transactions / 100⌉ balance-transaction pages
(each payout also holds its own ``payout`` debit transaction, counted as Stripe returns it).
Paid and failed payouts come from one list call (paid → failed is caught without a second
list); a second poll of the same window shows the steady-state cost.

``--shape connect``: a Connect platform configured as a practice plus its connected practices
(``workshop.sandbox.stripe_connect_data``: own payments with the patient id only on the
customer, destination charges, transfers, application fees, refunds, a dispute), one first
poll per practice. The list floor is the same per account; besides it, a destination charge
whose patient id is only on the *platform's* customer costs one customer call (that customer
is a fifth expansion level, past Stripe's limit of four), so the reachable floor adds one call
per such customer.

Run: ``.venv/bin/python bench/stripe_calls.py [--payouts 10] [--payments 1000]`` or
``.venv/bin/python bench/stripe_calls.py --shape connect [--accounts 2]``
"""

from __future__ import annotations

import argparse
import datetime as dt
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
from workshop.sandbox.stripe_connect_data import connect_dataset
from workshop.sandbox.stripe_data import StripeDataset, bulk_dataset
from workshop.sandbox.stripe_server import StripeSandbox

KEY = "sk_test_benchmarkKey0001"


def main() -> int:
    """Run the scenario and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--payouts", type=int, default=10)
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--shape", choices=["bulk", "connect"], default="bulk")
    parser.add_argument("--accounts", type=int, default=2, help="connected accounts (connect)")
    args = parser.parse_args()
    if args.shape == "connect":
        return connect(args.accounts)
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


def _floor(data: StripeDataset, account_id: str) -> int:
    """Payout list pages plus ⌈transactions / 100⌉ per paid automatic payout."""
    acct = data.accounts[account_id]
    paid = [p for p in acct.payouts if p["status"] == "paid" and p["automatic"]]
    pages = [math.ceil(sum(1 for po in acct.payout_of.values() if po == p["id"]) / 100)
             for p in paid]  # fmt: skip
    return max(1, math.ceil(len(acct.payouts) / 100)) + sum(pages)


def connect(accounts: int) -> int:
    """The platform + Connect shape: one first poll per practice, requests against the floor."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    connected = [f"acct_1BenchConnect{n:03d}" for n in range(accounts)]
    data, _story = connect_dataset(KEY, connected, now=dt.datetime.now(dt.UTC))
    platform = next(a.id for a in data.accounts.values() if a.connected_to is None)
    rows, total, floor, reachable = [], 0, 0, 0
    with StripeSandbox(data) as sandbox, tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "state.db")
        store.migrate()
        for pid, account in [("platform", None), *((f"c{n}", a) for n, a in enumerate(connected))]:
            section: dict[str, object] = {"api_key": {"value": KEY}, "api_base": sandbox.url,
                                          "requests_per_second": 100}  # fmt: skip
            if account:
                section["account"] = account
            practice = PracticeSettings.model_validate({
                "id": pid, "pms": {"vendor": "eaglesoft", "odbc": {"dsn": "unused"}},
                "payments": {"stripe": section}})  # fmt: skip
            ctx = PollContext(practice=practice, store=store, redactor=Redactor(),
                              log=structlog.get_logger("bench"))  # fmt: skip
            sandbox.emulator.reset_stats()
            summary = StripeSource(practice).poll(ctx)
            made = sandbox.emulator.stats["requests"]
            base = _floor(data, account or platform)
            lookups = summary.get("customer_lookups", 0)
            rows.append((pid, base, lookups, made, summary.get("items_new", 0)))
            total, floor, reachable = total + made, floor + base, reachable + base + lookups
        store.close()
    for pid, base, lookups, made, new in rows:
        print(f"{pid:<9} floor {base:>3}  platform-customer calls {lookups:>2}  "
              f"requests {made:>3}  items {new:>4}")  # fmt: skip
    over_list = (total - floor) / floor * 100
    over = (total - reachable) / reachable * 100
    print(f"{'total':<9} list floor {floor}, reachable floor {reachable}, requests {total}: "
          f"{over_list:+.1f} % over the list floor, {over:+.1f} % over the reachable floor "
          "(goal: within 10 %)")  # fmt: skip
    return 0 if over <= 10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
