"""Benchmark: post N patient payments (allocate mode) into the emulated Open Dental.

Real components end to end: a MariaDB server started in a temp dir, the adapter reading over
pyodbc with the SELECT-only user, and writing through the Open Dental API double over HTTP
(which itself writes MariaDB with its read-write user). Each payment goes through what the
posting engine will do: find the patient, read the family's open charges, build an
oldest-first plan, then ``post_patient_payment`` — in the executor's order: ``find_posting``
for the key (with the patient hint) first, then the planning reads, then the write.

Reports postings per second and PMS round trips per payment (ODBC queries + HTTP requests,
counted by the adapter), for the whole cycle and for the ``post_patient_payment`` call alone.
Goal (issue #16): at most 4 reads per payment plus the writes.

Usage: ``python bench/writeback.py [--payments 10000] [--families 2500] [--json out.json]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyodbc

from adapters.base import marker_for
from connector.domain import AllocationMode, PatientPaymentPlan, Split
from tests.support.opendental import CUSTOMER_KEY, DEVELOPER_KEY, OdContext
from workshop.emulated.opendental import seed
from workshop.sandbox.mariadb import running_server
from workshop.sandbox.opendental_api import OpenDentalApiDouble
from workshop.sandbox.opendental_db import build_database


def load_families(admin_cs: str, families: int) -> list[int]:
    """Add generated families to the database; return their guarantors' PatNums."""
    rows = seed.generated_practice(families)
    conn = pyodbc.connect(admin_cs, autocommit=False)
    seed.load(conn.cursor(), rows, chunk=500)
    conn.commit()
    conn.close()
    return sorted({int(p["Guarantor"]) for p in rows["patient"]})


def oldest_first(charges: list[Any], amount: Decimal, payer: str) -> tuple[Split, ...]:
    """The posting engine's default allocation (pay oldest first, rest unapplied)."""
    remaining, splits = amount, []
    for charge in charges:
        if remaining <= 0:
            break
        part = min(remaining, charge.amount_due)
        splits.append(Split(part, charge.patient_id, charge.provider_id, charge.charge_ref,
                            charge.kind.value))  # fmt: skip
        remaining -= part
    if remaining > 0:
        splits.append(Split(remaining, payer))
    return tuple(splits)


def run(payments: int, families: int) -> dict[str, Any]:
    """Run the benchmark and return its measurements."""
    rng = random.Random(11)
    with running_server() as server:
        db = build_database(server)
        guarantors = load_families(db.users.admin, families)
        with OpenDentalApiDouble(db.users.read_write, developer_key=DEVELOPER_KEY,
                                 customer_key=CUSTOMER_KEY) as api:  # fmt: skip
            ledger = OdContext(db, api).ledger()
            post_queries = post_requests = 0
            day = dt.date(2026, 1, 5)
            started = time.perf_counter()
            for n in range(payments):
                key = f"txn_bench_{n:06d}"
                payer = str(rng.choice(guarantors))
                assert ledger.find_posting(key, patient_id=payer) is None
                patient = ledger.find_patient(payer)
                assert patient is not None
                charges = ledger.family_charges(patient)
                amount = Decimal(rng.randrange(2000, 9000)) / 100
                plan = PatientPaymentPlan(
                    key, marker_for(key), patient.patient_id, amount, day, "13",
                    AllocationMode.ALLOCATE_OLDEST_FIRST,
                    oldest_first(charges, amount, patient.patient_id), note="bench",
                )  # fmt: skip
                before = ledger.stats()
                ledger.post_patient_payment(plan)
                after = ledger.stats()
                post_queries += after["odbc_queries"] - before["odbc_queries"]
                post_requests += after["http_requests"] - before["http_requests"]
            elapsed = time.perf_counter() - started
            totals = ledger.stats()
            ledger.close()
            written = db.rows("SELECT COUNT(*), COUNT(DISTINCT PayNote) FROM payment "
                              "WHERE PayNote LIKE '[connector txn_bench_%'")[0]  # fmt: skip
            splits = db.rows(
                "SELECT COUNT(*) FROM paysplit ps JOIN payment p ON p.PayNum = ps.PayNum "
                "WHERE p.PayNote LIKE '[connector txn_bench_%'"
            )
    return {
        "payments": payments,
        "families": families,
        "seconds": round(elapsed, 2),
        "postings_per_second": round(payments / elapsed, 1),
        "cycle_odbc_queries_per_payment": round(totals["odbc_queries"] / payments, 2),
        "cycle_http_requests_per_payment": round(totals["http_requests"] / payments, 2),
        "post_odbc_queries_per_payment": round(post_queries / payments, 2),
        "post_http_requests_per_payment": round(post_requests / payments, 2),
        "rows_written": int(written[0]),
        "distinct_markers": int(written[1]),
        "splits_written": int(splits[0][0]),
    }


def main() -> int:
    """Parse arguments, run, print the result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=10_000)
    parser.add_argument("--families", type=int, default=2_500)
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    result = run(args.payments, args.families)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if result["rows_written"] == args.payments == result["distinct_markers"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
