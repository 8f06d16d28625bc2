"""Benchmark the Dentrix and Eaglesoft adapters on their emulated databases (SQLite via ODBC).

Measures, per vendor: post_patient_payment (allocate mode, two splits), find_posting by key,
and family_charges, over N payments on one family. Numbers go to docs/vendors/*.md. These are
emulation numbers (SQLite on local disk); the real engines (c-treeACE, SQL Anywhere over the
LAN) will differ.

    .venv/bin/python bench/pms_emulated.py [N]
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from adapters.base import OpenCharge, marker_for
from adapters.dentrix import DentrixLedger
from adapters.dentrix.connection import DentrixConnector
from adapters.dentrix.connection import StaticConnectionProvider as DStatic
from adapters.eaglesoft import EaglesoftLedger
from adapters.eaglesoft.connection import EaglesoftConnector
from adapters.eaglesoft.connection import StaticConnectionProvider as EStatic
from adapters.eaglesoft.dialect import authentication_text
from connector.domain import AllocationMode, PatientPaymentPlan, Split
from workshop.emulated.dentrix import seed as dseed
from workshop.emulated.eaglesoft import seed as eseed

TODAY = dt.date(2026, 11, 20)


def plan(key: str, patient: str, charges: list[OpenCharge]) -> PatientPaymentPlan:
    """A 1.00 payment over the family's oldest open charges (as the posting engine would)."""
    left, splits = Decimal("1.00"), []
    for charge in charges:
        part = min(left, charge.amount_due)
        splits.append(Split(part, charge.patient_id, charge.provider_id, charge.charge_ref,
                            charge.kind.value))  # fmt: skip
        left -= part
        if not left:
            break
    return PatientPaymentPlan(key, marker_for(key), patient, Decimal("1.00"), TODAY, "4",
                              AllocationMode.ALLOCATE_OLDEST_FIRST, tuple(splits),
                              source_ref="ch_x")  # fmt: skip


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Milliseconds taken by ``fn`` and its result."""
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def report(name: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"  {name:<22} n={len(samples):<5} p50={statistics.median(samples):7.2f} ms  "
          f"p95={p95:7.2f} ms  max={samples[-1]:7.2f} ms")  # fmt: skip


def run(vendor: str, ledger: Any, patient: str, n: int) -> None:
    print(f"{vendor}:")
    posts, finds, opens = [], [], []
    record = ledger.find_patient(patient)
    for i in range(n):
        key = f"txn_bench{vendor}{i:06d}"
        took, charges = timed(lambda: ledger.family_charges(record))
        opens.append(took)
        payment = plan(key, patient, charges)
        posts.append(timed(lambda payment=payment: ledger.post_patient_payment(payment))[0])
        finds.append(timed(lambda key=key: ledger.find_posting(key))[0])
    report("post_patient_payment", posts)
    report("find_posting", finds)
    report("family_charges", opens)
    ledger.close()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        dentrix = dseed.create_emulated_database(Path(tmp) / "dentrix", today=TODAY)
        eaglesoft = eseed.create_emulated_database(Path(tmp) / "eaglesoft", today=TODAY)
        run("dentrix", DentrixLedger(DentrixConnector(DStatic(dentrix))), "1003", n)
        auth = authentication_text(*eseed.DEMO_AUTH)
        connector = EaglesoftConnector(EStatic(eaglesoft), authentication=auth)
        run("eaglesoft", EaglesoftLedger(connector), "103", n)


if __name__ == "__main__":
    main()
