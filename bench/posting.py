"""Benchmark the posting engine: patient payments and ERA claims through the real posting job
(SQLiteStore in a temporary folder, MemoryLedger), plus allocation alone.

    .venv/bin/python bench/posting.py [--payments N] [--claims N]

Prints one line per measurement; the numbers are recorded in docs/posting.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.base import ChargeKind, OpenCharge
from adapters.memory import MemoryLedger
from connector.config import PostingSettings
from connector.domain import ItemKind, NewItem
from connector.jobs import PollContext
from connector.logging import get_logger
from connector.posting.allocation import allocate_oldest_first
from connector.posting.runner import PostingJob
from connector.redaction import Redactor
from connector.store import SQLiteStore
from tests.posting.helpers import claim_payload, line, new_claim, practice, stripe_payload


def _run(store: SQLiteStore, led: MemoryLedger, batch: int) -> dict[str, int]:
    settings = practice()
    job = PostingJob.for_practice(
        settings,
        redactor=Redactor(),
        posting=PostingSettings(batch_size=batch),
        ledger_factory=lambda _p: led,
    )
    ctx = PollContext(
        practice=settings,
        store=store,
        redactor=Redactor(),
        log=get_logger("bench"),
        stop=threading.Event(),
    )
    return job.poll(ctx)


def bench_payments(count: int, folder: Path) -> None:
    """``count`` family payments, each allocated over three open charges."""
    led = MemoryLedger()
    led.add_type("70", "Online Payment", "payment")
    for n in range(count):
        pid = str(n)
        led.add_patient(pid, provider="DOC")
        for k in range(3):
            led.add_charge(f"C{n}-{k}", patient=pid, date=f"2026-0{k + 1}-01", amount="40.00")
    store = SQLiteStore(folder / "payments.db")
    store.migrate()
    items = [
        NewItem(
            key=f"txn_{n}",
            kind=ItemKind.PATIENT_PAYMENT,
            amount=Decimal("100.00"),
            payload=stripe_payload(f"txn_{n}", amount="100.00", patient_ref=str(n)),
            group_key="po_1",
            related_key=f"ch_{n}",
        )
        for n in range(count)
    ]
    store.record("smile", "stripe", items)
    started = time.perf_counter()
    counts = _run(store, led, count)
    took = time.perf_counter() - started
    assert counts["posted"] == count, counts
    print(f"patient payments: {count} posted in {took:.2f} s = {count / took:,.0f}/s")
    store.close()


def bench_claims(count: int, folder: Path) -> None:
    """``count`` ERA claims with two lines each, all auto-posted."""
    led = MemoryLedger()
    led.add_type("80", "Insurance EFT", "insurance_payment")
    payloads = []
    for n in range(count):
        led.add_patient(str(n), plans=1)
        led.add_claim(
            f"C{n}",
            patient=str(n),
            identifier=f"CLM{n}",
            date="2026-10-01",
            lines=[
                {"proc_ref": f"P{n}a", "code": "D1110", "fee": "120.00", "expected": "90.00"},
                {"proc_ref": f"P{n}b", "code": "D0120", "fee": "60.00", "expected": "45.00"},
            ],
        )
        payloads.append(
            claim_payload(
                f"CLM{n}",
                "1",
                "180.00",
                "135.00",
                [
                    line("D1110", "120.00", "90.00", ("CO", "45", "30.00")),
                    line("D0120", "60.00", "45.00", ("CO", "45", "15.00")),
                ],
                payer_control=f"PCN{n}",
            )
        )
    store = SQLiteStore(folder / "claims.db")
    store.migrate()
    store.record("smile", "era", [new_claim(p) for p in payloads])
    started = time.perf_counter()
    counts = _run(store, led, count)
    took = time.perf_counter() - started
    assert counts["posted"] == count, counts
    print(f"ERA claims: {count} auto-posted in {took:.2f} s = {count / took:,.0f}/s")
    store.close()


def bench_allocation(rounds: int) -> None:
    """Allocation alone over a family with 200 open charges."""
    charges = [
        OpenCharge(
            f"C{n}",
            ChargeKind.PROCEDURE,
            str(n % 4),
            "DOC",
            dt.date(2026, 1, 1 + n % 28),
            Decimal("12.34"),
        )
        for n in range(200)
    ]
    started = time.perf_counter()
    for _ in range(rounds):
        allocate_oldest_first(Decimal("1500.00"), charges, payer_id="1", patient_preferred=True)
    took = time.perf_counter() - started
    print(f"allocation over 200 charges: {rounds / took:,.0f} payments/s")


def main() -> None:
    """Run the three measurements (log lines below warning are dropped)."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--claims", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_payments(args.payments, Path(tmp))
        bench_claims(args.claims, Path(tmp))
    bench_allocation(2000)


if __name__ == "__main__":
    main()
