"""Primary claims of patients with a second plan, through the posting job: the primary payment
posts, and the secondary claim to send is one `secondary_claim_ready` review, recorded once
even when the posting is retried after a crash."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from adapters.memory import MemoryLedger
from connector.domain import InsurancePaymentPlan, ItemKind, ItemStatus
from connector.errors import TransientError
from connector.posting.executor import summary
from connector.posting.journal import save_plan
from connector.posting.planner import plan_item
from connector.store import SQLiteStore
from tests.posting.helpers import (
    PRACTICE,
    claim_payload,
    line,
    new_claim,
    practice,
    record,
    remittance_payload,
)
from tests.posting.runner_support import NOW, run
from tests.support.journal import MemoryJournal

D = Decimal
REMIT = "era:1999999999:TRACEP:100.00:2026-11-18"


def two_plan_claim(led: MemoryLedger) -> None:
    """Patient 3's primary claim CLM2 (one filling of 200.00); patient 3 has two plans."""
    led.add_claim(
        "C2",
        patient="3",
        identifier="CLM2",
        date="2026-10-01",
        plan_count=2,
        has_secondary_plan=True,
        lines=[{"proc_ref": "P3", "code": "D2391", "fee": "200.00", "expected": "100.00"}],
    )
    led.add_charge("P3", patient="3", date="2026-10-01", amount="200.00")


def primary_paid(store: SQLiteStore, status: str = "1") -> None:
    """The primary payer pays 100.00, writes off 20.00, leaves 80.00 (50.00 deductible)."""
    claim = claim_payload(
        "CLM2",
        status,
        "200.00",
        "100.00",
        [line("D2391", "200.00", "100.00", ("CO", "45", "20.00"), ("PR", "1", "50.00"),
              ("PR", "2", "30.00"))],
        payer_control="PCN2",
        remit=REMIT,
        patient_responsibility="80.00",
    )  # fmt: skip
    record(store, remittance_payload(amount="100.00", key=REMIT), new_claim(claim), source="era")


def test_primary_posts_and_the_secondary_claim_is_one_review(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """The primary payment is written to the primary claim; one era_secondary item waits in
    review as secondary_claim_ready with the amounts in words and per procedure."""
    two_plan_claim(led)
    primary_paid(store)
    counts = run(store, led)
    assert counts["posted"] == 1 and counts["review"] == 1
    assert led.insurance_paid() == D("100.00") and led.claims["C2"].lines[0].paid == D("100.00")
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "secondary_claim_ready" and entry.item_kind == "era_secondary"
    assert (
        "paid 100.00, written off 20.00, left to the patient 80.00 (deductible 50.00) of 200.00"
        in entry.message
    )
    assert "PMS claim C2" in entry.message and "DELTA DENTAL" in entry.message
    [row] = entry.details["lines"]
    assert (row["proc_ref"], row["paid"], row["writeoff"], row["deductible"], row["patient"]) == (
        "P3",
        "100.00",
        "20.00",
        "50.00",
        "30.00",
    )
    secondary = store.get_item(entry.item_id)
    assert secondary is not None and secondary.related_key is not None
    primary = store.find_item(PRACTICE, secondary.related_key)
    assert primary is not None and primary.status is ItemStatus.POSTED
    assert secondary.key == f"{primary.key}:secondary" and secondary.amount == D("0.00")
    assert run(store, led, now=NOW + dt.timedelta(hours=1)) == {
        k: 0 for k in ("posted", "review", "ignored", "already_posted", "failed", "dead",
                       "deferred")
    }  # fmt: skip


def test_crash_after_the_pms_write_records_the_secondary_once(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """State after a crash right after the PMS write (kill point posting.after_pms_write):
    the plan is saved, the PMS has the payment, the store does not know. The next run finds the
    payment in the PMS, marks it posted and records the secondary claim from the saved
    decision, once."""
    two_plan_claim(led)
    primary_paid(store)
    [item] = store.items_of_kind(PRACTICE, [ItemKind.ERA_CLAIM.value])
    planned = plan_item(item, practice(), store, led)
    assert isinstance(planned.outcome, InsurancePaymentPlan)
    save_plan(store, item, summary(planned.outcome), planned.decision)
    led.post_insurance_payment(planned.outcome, MemoryJournal())
    counts = run(store, led)
    assert counts["already_posted"] == 1 and counts["review"] == 1
    assert len(led.checks) == 1
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "secondary_claim_ready"
    assert len(store.items_of_kind(PRACTICE, [ItemKind.ERA_SECONDARY.value])) == 1


def test_a_resumed_write_records_the_secondary_once(store: SQLiteStore, led: MemoryLedger) -> None:
    """A step fails after the PMS committed it: the retry resumes the saved plan and records
    one secondary claim; later runs add nothing."""
    two_plan_claim(led)
    primary_paid(store)
    led.fail("check", lambda: TransientError("connection lost"), after_commit=True)
    assert run(store, led)["failed"] == 1
    assert store.list_reviews(PRACTICE) == []
    counts = run(store, led, now=NOW + dt.timedelta(minutes=10))
    assert counts["posted"] + counts["already_posted"] == 1 and counts["review"] == 1
    assert run(store, led, now=NOW + dt.timedelta(hours=1))["review"] == 0
    assert len(store.items_of_kind(PRACTICE, [ItemKind.ERA_SECONDARY.value])) == 1


def test_setting_off_keeps_the_primary_in_review(store: SQLiteStore, led: MemoryLedger) -> None:
    """With era.auto_post.primary_with_secondary false nothing is posted (as before)."""
    two_plan_claim(led)
    primary_paid(store)
    counts = run(store, led, settings=practice(auto_post={"primary_with_secondary": False}))
    assert counts["posted"] == 0 and counts["review"] == 1
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "secondary_claim_needed" and led.insurance_paid() == D("0.00")


def test_processed_as_secondary_stays_multiple_plans(store: SQLiteStore, led: MemoryLedger) -> None:
    """The payer processed it as secondary (CLP02 = 2): ambiguous, so multiple_plans."""
    two_plan_claim(led)
    primary_paid(store, status="2")
    assert run(store, led)["review"] == 1
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "multiple_plans" and led.insurance_paid() == D("0.00")


def test_dry_run_writes_nothing_and_records_no_secondary(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """A dry run plans the primary payment and says a secondary claim would be listed."""
    two_plan_claim(led)
    primary_paid(store)
    counts = run(store, led, dry_run=True)
    assert counts["planned"] == 1
    assert led.insurance_paid() == D("0.00")
    assert store.items_of_kind(PRACTICE, [ItemKind.ERA_SECONDARY.value]) == []


def test_reversed_primary_marks_its_secondary_and_the_correction_lists_a_new_one(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """The payer reverses the primary and pays it corrected: the first secondary claim's history
    says it was reversed (once), and the corrected claim leaves its own secondary claim."""
    two_plan_claim(led)
    primary_paid(store)
    assert run(store, led)["review"] == 1
    later = "era:1999999999:TRACEQ:10.00:2026-11-25"
    back = claim_payload(
        "CLM2", "22", "-200.00", "-100.00",
        [line("D2391", "-200.00", "-100.00", ("CO", "45", "-20.00"), ("PR", "1", "-50.00"),
              ("PR", "2", "-30.00"))],
        payer_control="PCN2", remit=later, patient_responsibility="-80.00",
    )  # fmt: skip
    fixed = claim_payload(
        "CLM2", "1", "200.00", "110.00",
        [line("D2391", "200.00", "110.00", ("CO", "45", "20.00"), ("PR", "1", "50.00"),
              ("PR", "2", "20.00"))],
        payer_control="PCN2B", remit=later, patient_responsibility="70.00",
    )  # fmt: skip
    record(store, remittance_payload(amount="10.00", key=later), new_claim(back),
           new_claim(fixed), source="era")  # fmt: skip
    counts = run(store, led, now=NOW + dt.timedelta(days=7))
    assert counts["posted"] == 2 and counts["review"] == 1, counts
    assert led.claims["C2"].lines[0].paid == D("110.00")
    first, second = store.items_of_kind(PRACTICE, [ItemKind.ERA_SECONDARY.value])
    events = [h for h in store.history(first.id) if h.event == "secondary.reversed"]
    assert len(events) == 1 and "reversed the primary payment" in events[0].detail["note"]
    reviews = {r.item_id: r for r in store.list_reviews(PRACTICE)}
    assert "paid 110.00" in reviews[second.id].message
    assert run(store, led, now=NOW + dt.timedelta(days=8))["posted"] == 0
    assert len([h for h in store.history(first.id) if h.event == "secondary.reversed"]) == 1


def test_posting_found_after_the_state_store_was_lost_still_lists_the_secondary(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """The store lost what it knew (a replay records the claim again) while the PMS has the
    primary payment: the run finds it by its marker and works the secondary claim out again
    from the item and the PMS, so it is still listed, once."""
    two_plan_claim(led)
    primary_paid(store)
    [item] = store.items_of_kind(PRACTICE, [ItemKind.ERA_CLAIM.value])
    planned = plan_item(item, practice(), store, led)
    assert isinstance(planned.outcome, InsurancePaymentPlan)
    led.post_insurance_payment(planned.outcome, MemoryJournal())  # no plan saved in the store
    counts = run(store, led)
    assert counts["already_posted"] == 1 and counts["review"] == 1
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "secondary_claim_ready" and "paid 100.00" in entry.message
    assert run(store, led, now=NOW + dt.timedelta(hours=1))["review"] == 0
