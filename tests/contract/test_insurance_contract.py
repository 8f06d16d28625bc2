"""Insurance parity, run against every adapter (issue 19): the primary claim of a patient with
a second plan, claim reversals followed by the corrected claim, and deductibles."""

from __future__ import annotations

from decimal import Decimal

from adapters.base import ClaimMatch, ClaimRecord, Ledger
from connector.domain import ProcedurePayment
from tests.contract.harness import Harness
from tests.contract.plans import insurance_plan

D = Decimal


def _open_claim(harness: Harness, ledger: Ledger) -> ClaimRecord:
    (claim,) = ledger.find_claims(
        ClaimMatch(claim_identifier=harness.scenario.open_claim_identifier)
    )
    return claim


def test_primary_claim_of_a_two_plan_patient_posts_as_primary(
    harness: Harness, ledger: Ledger
) -> None:
    """The two-plan patient's open claim reads as the primary claim of a patient with another
    plan; its payment lands as primary insurance (nothing on the other plan), and reading the
    claim again shows what the primary paid (what the engine's secondary claim lists)."""
    sc = harness.scenario
    claim = _open_claim(harness, ledger)
    assert claim.patient_id == sc.two_plan_patient
    assert (claim.claim_type, claim.plan_count, claim.has_secondary_plan) == ("primary", 2, True)
    first, second = claim.lines[0], claim.lines[1]
    lines = (
        ProcedurePayment(first.proc_ref, paid=D("60.00"), writeoff=D("10.00"),
                         deductible=D("25.00"), remarks="CO-45 PR-1"),
        ProcedurePayment(second.proc_ref, paid=D("30.00")),
    )  # fmt: skip
    plan = insurance_plan(
        "era:T:EFTP:90.00:20260105:2/2::1",
        claim.claim_id,
        claim.patient_id,
        lines,
        day=sc.today,
        payment_type=sc.insurance_payment_type,
    )
    ledger.post_insurance_payment(plan, harness.journal())
    state = harness.claim_lines(claim.claim_id)
    assert (state[first.proc_ref].paid, state[second.proc_ref].paid) == (D("60.00"), D("30.00"))
    assert harness.claim_received(claim.claim_id)
    assert harness.other_plan_paid(claim.claim_id) == D("0.00")
    fresh = harness.ledger()
    try:
        (again,) = fresh.find_claims(ClaimMatch(claim_identifier=sc.open_claim_identifier))
    finally:
        fresh.close()
    assert again.received and again.claim_type == "primary" and again.has_secondary_plan
    paid = {line.proc_ref: line.paid for line in again.lines}
    assert (paid[first.proc_ref], paid[second.proc_ref]) == (D("60.00"), D("30.00"))
