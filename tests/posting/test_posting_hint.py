"""The posting engine narrows its "already in the PMS?" lookup to a payment's patient only when
that patient is certain (docs/benchmarks.md: the Open Dental lookup without it scans every
payment note)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from adapters.base import marker_for
from adapters.memory import MemoryLedger
from connector.domain import AllocationMode, ItemKind, ItemStatus, PatientPaymentPlan, Split
from connector.errors import TransientError
from connector.posting.executor import posting_patient
from connector.posting.planner import PATIENT_OVERRIDE
from connector.store import SQLiteStore
from tests.posting.helpers import claim_payload, line, new_claim, new_stripe, record, stored
from tests.posting.runner_support import NOW, run


def test_a_patient_payment_is_looked_up_under_its_payload_patient() -> None:
    """The hint is the payload's patient_ref, read as the planner reads it (numbers too)."""
    item = stored(new_stripe(ItemKind.PATIENT_PAYMENT, "txn_h1", "10.00", patient_ref="42"))
    assert posting_patient(item) == "42"
    numeric = stored(new_stripe(ItemKind.PATIENT_PAYMENT, "txn_h2", "10.00"))
    numeric.payload["patient_ref"] = 42
    assert posting_patient(numeric) == "42"


def test_no_hint_without_a_certain_patient() -> None:
    """No patient in the metadata, a hand-chosen patient, or another kind: search everything."""
    nobody = stored(new_stripe(ItemKind.PATIENT_PAYMENT, "txn_h3", "10.00", patient_ref=None))
    assert posting_patient(nobody) is None
    chosen = stored(new_stripe(ItemKind.PATIENT_PAYMENT, "txn_h4", "10.00"))
    chosen.progress[PATIENT_OVERRIDE] = "3"
    assert posting_patient(chosen) is None
    dispute = stored(new_stripe(ItemKind.DISPUTE_WON, "txn_h5", "10.00"))
    assert posting_patient(dispute) is None
    claim = stored(new_claim(claim_payload("CLM1", "1", "100.00", "80.00",
                                           [line("D1110", "100.00", "80.00")])))  # fmt: skip
    assert posting_patient(claim) is None


def test_a_crash_after_the_write_is_healed_through_the_hinted_lookup(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """The payment written for the payload's patient is found again: no second payment."""
    led.fail("post_patient_payment", lambda: TransientError("connection lost"), after_commit=True)
    [item] = record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_h6", "30.00"))
    assert run(store, led)["failed"] == 1
    assert run(store, led, now=NOW + dt.timedelta(minutes=5))["already_posted"] == 1
    assert len(led.payments) == 1
    assert store.get_item(item.id).status is ItemStatus.POSTED  # type: ignore[union-attr]


def test_a_hand_chosen_patient_searches_the_whole_ledger(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """A posting an earlier attempt wrote for the payload's patient is found even after staff
    named another patient, so the payment is not written a second time."""
    [item] = record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_h7", "30.00"))
    earlier = PatientPaymentPlan(
        "txn_h7", marker_for("txn_h7"), "1", Decimal("30.00"), dt.date(2026, 11, 20), "70",
        AllocationMode.POST_ONLY, (Split(Decimal("30.00"), "1"),),
    )  # fmt: skip
    led.post_patient_payment(earlier)
    store.save_progress(item.id, {PATIENT_OVERRIDE: "3"})
    assert run(store, led)["already_posted"] == 1
    assert [p.patient_id for p in led.payments] == ["1"]
