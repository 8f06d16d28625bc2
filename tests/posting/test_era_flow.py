"""ERA remittances through the posting job: auto-post, below threshold, denial, reversal +
correction, PLB, unbalanced and test files — each ending where the rules say, with the ledger
totals checked against the remittance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from adapters.memory import MemoryLedger
from connector.domain import ItemKind, ItemStatus
from connector.errors import TransientError
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

D = Decimal
REMIT_A = "era:1999999999:TRACEA:635.00:2026-11-01"
REMIT_B = "era:1999999999:TRACEB:125.00:2026-11-18"


def build_claims(led: MemoryLedger) -> None:
    """Four sent claims, one plan each."""
    led.add_claim(
        "C1",
        patient="1",
        identifier="CLM1",
        date="2026-10-01",
        lines=[
            {"proc_ref": "P1", "code": "D1110", "fee": "120.00", "expected": "90.00"},
            {"proc_ref": "P2", "code": "D0120", "fee": "60.00", "expected": "45.00"},
        ],
    )
    led.add_claim(
        "C2",
        patient="3",
        identifier="CLM2",
        date="2026-10-01",
        lines=[{"proc_ref": "P3", "code": "D2391", "fee": "200.00", "expected": "160.00"}],
    )
    led.add_claim(
        "C3",
        patient="2",
        identifier="CLM3",
        date="2026-10-01",
        lines=[{"proc_ref": "P4", "code": "D0150", "fee": "75.00", "expected": "60.00"}],
    )
    led.add_claim(
        "C4",
        patient="3",
        identifier="CLM4",
        date="2026-10-01",
        lines=[{"proc_ref": "P5", "code": "D2740", "fee": "1000.00", "expected": "500.00"}],
    )
    for ref, patient, amount in (
        ("P1", "1", "120.00"),
        ("P2", "1", "60.00"),
        ("P5", "3", "1000.00"),
    ):
        led.add_charge(ref, patient=patient, date="2026-10-01", amount=amount)


def remittance_a(store: SQLiteStore) -> None:
    """CLM1 paid as expected; CLM4 paid 500 (the original the payer reverses later)."""
    clm1 = claim_payload(
        "CLM1",
        "1",
        "180.00",
        "135.00",
        [
            line("D1110", "120.00", "90.00", ("CO", "45", "30.00")),
            line("D0120", "60.00", "45.00", ("CO", "45", "15.00")),
        ],
        payer_control="PCN1",
        remit=REMIT_A,
    )
    clm4 = claim_payload(
        "CLM4",
        "1",
        "1000.00",
        "500.00",
        [line("D2740", "1000.00", "500.00", ("CO", "45", "300.00"), ("PR", "2", "200.00"))],
        payer_control="PCN4",
        remit=REMIT_A,
        patient_responsibility="200.00",
    )
    record(
        store,
        remittance_payload(amount="635.00", key=REMIT_A),
        new_claim(clm1),
        new_claim(clm4),
        source="era",
    )


def remittance_b(store: SQLiteStore) -> None:
    """CLM2 below threshold, CLM3 denied, CLM4 reversed and corrected, one PLB WO of 25.00."""
    clm2 = claim_payload(
        "CLM2",
        "1",
        "200.00",
        "100.00",
        [line("D2391", "200.00", "100.00", ("CO", "45", "40.00"), ("PR", "2", "60.00"))],
        payer_control="PCN2",
        remit=REMIT_B,
    )
    clm3 = claim_payload(
        "CLM3",
        "4",
        "75.00",
        "0.00",
        [line("D0150", "75.00", "0.00", ("CO", "29", "75.00"), remarks=("N30",))],
        payer_control="PCN3",
        remit=REMIT_B,
    )
    rev4 = claim_payload(
        "CLM4",
        "22",
        "-1000.00",
        "-500.00",
        [line("D2740", "-1000.00", "-500.00", ("CO", "45", "-300.00"), ("PR", "2", "-200.00"))],
        payer_control="PCN4",
        remit=REMIT_B,
        patient_responsibility="-200.00",
    )
    cor4 = claim_payload(
        "CLM4",
        "1",
        "1000.00",
        "550.00",
        [line("D2740", "1000.00", "550.00", ("CO", "45", "300.00"), ("PR", "2", "150.00"))],
        payer_control="PCN4B",
        remit=REMIT_B,
        patient_responsibility="150.00",
    )
    plb = [
        {
            "provider": "1234567890",
            "period_end": "2026-12-31",
            "reason": "WO",
            "reference": "CLM9",
            "amount": "25.00",
        }
    ]
    record(
        store,
        remittance_payload(amount="125.00", key=REMIT_B, plb=plb),
        *(new_claim(c) for c in (clm2, clm3, rev4, cor4)),
        source="era",
    )


def test_remittances_end_where_the_rules_say(store: SQLiteStore, led: MemoryLedger) -> None:
    """Auto-posted, below threshold, denied, reversal + correction and PLB, totals reconciled."""
    build_claims(led)
    remittance_a(store)
    first = run(store, led)
    assert first["posted"] == 2 and first["ignored"] == 1
    assert led.insurance_paid() == D("635.00")

    remittance_b(store)
    second = run(store, led)
    assert second["posted"] == 2  # the reversal and the correction
    assert second["review"] == 3  # below threshold, denied, the PLB
    assert second["ignored"] == 1  # remittance B itself
    reviews = {r.reason: r for r in store.list_reviews(PRACTICE)}
    # the WO is posted by rule, but its reference names no claim: review with the reference
    assert set(reviews) == {"paid_below_threshold", "denied", "plb_claim_not_found"}
    assert "paid 100.00 of 160.00 expected (62.50%)" in reviews["paid_below_threshold"].message
    assert "CO-29" in reviews["denied"].message and "N30" in reviews["denied"].message
    assert "WO: overpayment recovery" in reviews["plb_claim_not_found"].message
    assert (
        "25.00 withheld from the payment, naming claim CLM9"
        in reviews["plb_claim_not_found"].message
    )

    # ledger totals against the remittance: what posted + what waits for a person − PLB = BPR02
    posted_b = sum(
        (
            i.amount
            for i in store.group_items(PRACTICE, REMIT_B)
            if i.kind is ItemKind.ERA_CLAIM and i.status is ItemStatus.POSTED
        ),
        D("0.00"),
    )
    reviewed_b = sum(
        (
            i.amount
            for i in store.group_items(PRACTICE, REMIT_B)
            if i.kind is ItemKind.ERA_CLAIM and i.status is ItemStatus.REVIEW
        ),
        D("0.00"),
    )
    plb = sum(
        (i.amount for i in store.group_items(PRACTICE, REMIT_B) if i.kind is ItemKind.ERA_PLB),
        D("0.00"),
    )
    assert posted_b == D("50.00") and reviewed_b == D("100.00") and plb == D("-25.00")
    assert posted_b + reviewed_b + plb == D("125.00")
    assert led.insurance_paid() == D("635.00") + posted_b
    line4 = led.claims["C4"].lines[0]
    assert (line4.paid, line4.writeoff) == (D("550.00"), D("300.00"))
    assert led.charges["P5"].amount_due == D("150.00")  # patient's share after the correction
    checks = {c.number: (c.amount, c.claim_ids) for c in led.checks.values()}
    assert checks == {"TRACEA": (D("635.00"), ["C1", "C4"]), "TRACEB": (D("125.00"), ["C4", "C4"])}


def test_every_claim_decision_is_in_history(store: SQLiteStore, led: MemoryLedger) -> None:
    """Posted or not, each claim's history holds the auto-post inputs that decided it."""
    build_claims(led)
    remittance_a(store)
    remittance_b(store)
    run(store, led)
    below = store.find_item(PRACTICE, f"{REMIT_B}:CLM2:PCN2:1")
    posted = store.find_item(PRACTICE, f"{REMIT_A}:CLM1:PCN1:1")
    assert below is not None and posted is not None
    review_detail = next(h.detail for h in store.history(below.id) if h.event == "item.review")
    assert review_detail["decision"]["auto_post"]["inputs"]["expected"] == "160.00"
    posted_detail = next(h.detail for h in store.history(posted.id) if h.event == "item.posted")
    assert posted_detail["decision"]["auto_post"]["post"] is True
    assert posted_detail["plan"]["marker"].startswith("[connector auto era:")


def test_plb_items_are_recorded_once(store: SQLiteStore, led: MemoryLedger) -> None:
    """Re-planning a remittance (after retry) does not duplicate its PLB items or reviews."""
    plb = [
        {"provider": "1", "period_end": None, "reason": "L6", "reference": None, "amount": "-4.50"},
        {"provider": "1", "period_end": None, "reason": "ZZ", "reference": None, "amount": "1.00"},
    ]
    [remit] = record(store, remittance_payload(amount="3.50", plb=plb, key=REMIT_B), source="era")
    run(store, led)
    assert [r.reason for r in store.list_reviews(PRACTICE)] == ["provider_level_adjustment"] * 2
    messages = sorted(r.message for r in store.list_reviews(PRACTICE))
    assert any("L6: interest" in m for m in messages)
    assert any("unknown PLB reason ZZ" in m and "1.00 withheld" in m for m in messages)
    assert any("4.50 added to the payment" in m for m in messages)
    assert (store.get_item(remit.id) or remit).status is ItemStatus.IGNORED


def test_unbalanced_remittance_posts_nothing(store: SQLiteStore, led: MemoryLedger) -> None:
    """An unbalanced remittance and its claims go to review unbalanced_era; nothing posts."""
    build_claims(led)
    good = claim_payload(
        "CLM1",
        "1",
        "180.00",
        "135.00",
        [
            line("D1110", "120.00", "90.00", ("CO", "45", "30.00")),
            line("D0120", "60.00", "45.00", ("CO", "45", "15.00")),
        ],
        balanced=False,
        remit=REMIT_B,
    )
    record(
        store,
        remittance_payload(
            amount="136.00",
            balanced=False,
            key=REMIT_B,
            errors=["BPR02 136.00 != claims 135.00 - PLB 0.00"],
        ),
        new_claim(good),
        source="era",
    )
    counts = run(store, led)
    assert counts["review"] == 2 and counts["posted"] == 0
    reasons = {r.item_kind: r for r in store.list_reviews(PRACTICE)}
    assert {r.reason for r in reasons.values()} == {"unbalanced_era"}
    message = reasons["era_remittance"].message
    assert "(BPR02 136.00 != claims 135.00 - PLB 0.00);" in message  # plain words, no dict
    assert "{" not in message and "'rule'" not in message
    assert led.insurance_paid() == D("0.00")


def test_test_file_never_posts(store: SQLiteStore, led: MemoryLedger) -> None:
    """A test file: one test_file review for the remittance, claims ignored, nothing posted."""
    build_claims(led)
    claim = claim_payload(
        "CLM1",
        "1",
        "180.00",
        "135.00",
        [
            line("D1110", "120.00", "90.00", ("CO", "45", "30.00")),
            line("D0120", "60.00", "45.00", ("CO", "45", "15.00")),
        ],
        test=True,
        remit=REMIT_B,
    )
    record(
        store,
        remittance_payload(amount="135.00", test=True, key=REMIT_B),
        new_claim(claim),
        source="era",
    )
    counts = run(store, led)
    assert counts["review"] == 1 and counts["ignored"] == 1
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "test_file" and led.insurance_paid() == D("0.00")


def test_insurance_write_resumes_after_the_last_finished_step(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """A failure at the check step retries the same plan; procedures are not paid twice."""
    build_claims(led)
    led.fail("check", lambda: TransientError("PMS timeout"))
    claim = claim_payload(
        "CLM1",
        "1",
        "180.00",
        "135.00",
        [
            line("D1110", "120.00", "90.00", ("CO", "45", "30.00")),
            line("D0120", "60.00", "45.00", ("CO", "45", "15.00")),
        ],
        remit=REMIT_B,
    )
    [item] = record(store, new_claim(claim), source="era")
    assert run(store, led)["failed"] == 1
    saved = store.get_item(item.id)
    assert saved is not None and set(saved.progress["steps"]) == {
        "procedure:P1",
        "procedure:P2",
        "claim",
    }
    assert run(store, led, now=NOW + dt.timedelta(minutes=5))["posted"] == 1
    assert len(led.line_payments) == 2 and led.insurance_paid() == D("135.00")
    assert led.claims["C1"].lines[0].paid == D("90.00")
    assert len(led.checks) == 1


def test_auto_post_disabled_for_one_payer(store: SQLiteStore, led: MemoryLedger) -> None:
    """Per-payer rules turn auto-posting off for that payer only."""
    build_claims(led)
    remittance_a(store)
    settings = practice(auto_post={"per_payer": {"1999999999": {"enabled": False}}})
    counts = run(store, led, settings=settings)
    assert counts["review"] == 2
    assert {r.reason for r in store.list_reviews(PRACTICE)} == {"auto_post_disabled"}
    assert "auto-posting is off for payer 1999999999" in store.list_reviews(PRACTICE)[0].message


def test_a_write_refused_mid_way_goes_to_review_and_retry_plans_afresh(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """If the PMS refuses a step (its data changed), the partial plan is set aside for the
    reviewer; `retry` then plans again instead of resuming or skipping steps of the old plan."""
    from connector.errors import DataError

    build_claims(led)
    led.fail("check", lambda: DataError("claim was edited", code="claim_changed"))
    claim = claim_payload("CLM1", "1", "180.00", "135.00", [
        line("D1110", "120.00", "90.00", ("CO", "45", "30.00")),
        line("D0120", "60.00", "45.00", ("CO", "45", "15.00"))], remit=REMIT_B)  # fmt: skip
    [item] = record(store, new_claim(claim), source="era")
    assert run(store, led)["review"] == 1
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "pms_rejected"
    assert entry.details["steps_done_before_review"] == ["claim", "procedure:P1", "procedure:P2"]
    held = store.get_item(item.id)
    assert held is not None and "plan" not in held.progress and "abandoned" in held.progress
    store.retry_review(entry.id)
    assert run(store, led)["review"] == 1  # the claim now holds money: a person must look
    [again] = store.list_reviews(PRACTICE)
    assert again.reason == "claim_already_received"
    assert led.insurance_paid() == D("135.00")


def test_a_correction_waits_for_its_reversal_in_the_same_remittance(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """The reversal of CLM4 fails twice (the PMS busy): its correction in the same remittance
    waits instead of going to review as claim_already_received, and both post as in a clean
    run (issue #14, item 5)."""
    build_claims(led)
    remittance_a(store)
    run(store, led)
    remittance_b(store)
    busy = lambda: TransientError("PMS busy", code="pms_busy")  # noqa: E731
    led.fail("post_insurance_payment", busy, times=2)
    first = run(store, led)
    # the reversal, the correction waiting for it, and the remittance's PLB waiting for both
    assert first["failed"] == 3
    assert "claim_already_received" not in {r.reason for r in store.list_reviews(PRACTICE)}
    run(store, led, now=NOW + dt.timedelta(hours=1))
    third = run(store, led, now=NOW + dt.timedelta(hours=3))
    assert third["posted"] == 2
    line4 = led.claims["C4"].lines[0]
    assert (line4.paid, line4.writeoff) == (D("550.00"), D("300.00"))
    assert "claim_already_received" not in {r.reason for r in store.list_reviews(PRACTICE)}
