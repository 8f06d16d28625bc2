"""Insurance parity, run against every adapter (issue 19): the primary claim of a patient with
a second plan, and claim reversals followed by the corrected claim."""

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


def _lines(claim: ClaimRecord, *amounts: tuple[str, str]) -> tuple[ProcedurePayment, ...]:
    """Payments on the claim's first lines: (paid, write-off) each."""
    return tuple(
        ProcedurePayment(line.proc_ref, paid=D(paid), writeoff=D(writeoff))
        for line, (paid, writeoff) in zip(claim.lines, amounts, strict=False)
    )


def _negated(lines: tuple[ProcedurePayment, ...]) -> tuple[ProcedurePayment, ...]:
    return tuple(
        ProcedurePayment(p.proc_ref, paid=-p.paid, writeoff=-p.writeoff, deductible=-p.deductible)
        for p in lines
    )


def _reread(harness: Harness) -> ClaimRecord:
    fresh = harness.ledger()
    try:
        return _open_claim(harness, fresh)
    finally:
        fresh.close()


def _reverse_and_correct(
    harness: Harness, ledger: Ledger, original: tuple[ProcedurePayment, ...]
) -> tuple[ClaimRecord, tuple[ProcedurePayment, ...]]:
    """Post ``original`` on the open claim, then its reversal (CLP02 = 22) as the engine plans
    it (supplemental when the PMS shows the claim received); returns the claim as read after
    the reversal and the reversal's lines."""
    sc = harness.scenario
    claim = _open_claim(harness, ledger)
    first = insurance_plan("era:T:EFTA:90.00:20260105:2/2:PCN:1", claim.claim_id,
                           claim.patient_id, original, day=sc.today,
                           payment_type=sc.insurance_payment_type, check_number="EFTA")  # fmt: skip
    ledger.post_insurance_payment(first, harness.journal())
    received = _reread(harness)
    assert received.received
    back = _negated(original)
    reversal = insurance_plan("era:T:EFTB:10.00:20260112:2/2:PCN:22", claim.claim_id,
                              claim.patient_id, back, day=sc.today,
                              payment_type=sc.insurance_payment_type, check_number="EFTB",
                              check_amount=D("10.00"), supplemental=received.received)  # fmt: skip
    entry = ledger.post_insurance_payment(reversal, harness.journal())
    assert not entry.already_existed
    again = harness.ledger()
    try:
        found = again.find_posting(reversal.external_ref)
        assert found is not None and found.already_existed
        repeat = again.post_insurance_payment(reversal, harness.journal())
        assert repeat.already_existed
    finally:
        again.close()
    return _reread(harness), back


def test_reversal_then_corrected_claim(harness: Harness, ledger: Ledger) -> None:
    """A claim the connector posted is taken back line by line (paid back to zero, written once
    however often it is retried), and the corrected claim that follows posts onto it."""
    sc = harness.scenario
    original = _lines(_open_claim(harness, ledger), ("60.00", "0.00"), ("30.00", "0.00"))
    after, _ = _reverse_and_correct(harness, ledger, original)
    refs = [p.proc_ref for p in original]
    state = harness.claim_lines(after.claim_id)
    assert [state[r].paid for r in refs] == [D("0.00"), D("0.00")]
    assert [line.paid for line in after.lines if line.proc_ref in refs] == [D("0.00"), D("0.00")]
    corrected = _lines(after, ("70.00", "0.00"), ("30.00", "0.00"))
    correction = insurance_plan("era:T:EFTB:10.00:20260112:2/2:PCN2:1", after.claim_id,
                                after.patient_id, corrected, day=sc.today,
                                payment_type=sc.insurance_payment_type, check_number="EFTB",
                                check_amount=D("10.00"), supplemental=after.received)  # fmt: skip
    ledger.post_insurance_payment(correction, harness.journal())
    state = harness.claim_lines(after.claim_id)
    assert [state[r].paid for r in refs] == [D("70.00"), D("30.00")]
    assert harness.claim_received(after.claim_id)
    assert harness.other_plan_paid(after.claim_id) == D("0.00")


def test_reversal_takes_back_the_write_off(harness: Harness, ledger: Ledger) -> None:
    """A reversal of a payment with a contractual write-off takes the write-off back too (each
    PMS its own way: docs/vendors/*.md), and the corrected claim posts its own."""
    sc = harness.scenario
    claim = _open_claim(harness, ledger)
    original = _lines(claim, ("60.00", "15.00"), ("30.00", "5.00"))
    refs = [p.proc_ref for p in original]
    after, _ = _reverse_and_correct(harness, ledger, original)
    state = harness.claim_lines(after.claim_id)
    assert [(state[r].paid, state[r].writeoff) for r in refs] == [(D("0.00"), D("0.00"))] * 2
    corrected = _lines(after, ("70.00", "5.00"), ("30.00", "5.00"))
    correction = insurance_plan("era:T:EFTB:10.00:20260112:2/2:PCN2:1", after.claim_id,
                                after.patient_id, corrected, day=sc.today,
                                payment_type=sc.insurance_payment_type, check_number="EFTB",
                                check_amount=D("10.00"), supplemental=after.received)  # fmt: skip
    ledger.post_insurance_payment(correction, harness.journal())
    state = harness.claim_lines(after.claim_id)
    assert [(state[r].paid, state[r].writeoff) for r in refs] == [
        (D("70.00"), D("5.00")),
        (D("30.00"), D("5.00")),
    ]


def test_deductible_applied_is_written_as_data(harness: Harness, ledger: Ledger) -> None:
    """A PR-1 deductible on a claim payment lands where the PMS keeps deductibles applied (not
    only in a note): the patient's deductible met on the plan rises by it (issue 19, item 2)."""
    sc = harness.scenario
    claim = _open_claim(harness, ledger)
    before = harness.deductible_met(claim.patient_id)
    first, second = claim.lines[0], claim.lines[1]
    lines = (
        ProcedurePayment(first.proc_ref, paid=D("40.00"), deductible=D("20.00"),
                         remarks="PR-1"),
        ProcedurePayment(second.proc_ref, paid=D("30.00"), deductible=D("5.00")),
    )  # fmt: skip
    plan = insurance_plan("era:T:EFTD:70.00:20260105:2/2::1", claim.claim_id, claim.patient_id,
                          lines, day=sc.today, payment_type=sc.insurance_payment_type,
                          check_number="EFTD", check_amount=D("70.00"))  # fmt: skip
    ledger.post_insurance_payment(plan, harness.journal())
    assert harness.deductible_met(claim.patient_id) - before == D("25.00")
    state = harness.claim_lines(claim.claim_id)
    assert (state[first.proc_ref].deductible, state[second.proc_ref].deductible) == (
        D("20.00"),
        D("5.00"),
    )
    again = harness.ledger()
    try:  # written once: a retry finds the payment and adds nothing
        assert again.post_insurance_payment(plan, harness.journal()).already_existed
    finally:
        again.close()
    assert harness.deductible_met(claim.patient_id) - before == D("25.00")


def test_reversal_backs_out_the_deductible(harness: Harness, ledger: Ledger) -> None:
    """A claim reversal takes back the deductible its payment applied: the deductible met is
    back where it was (Open Dental: a negative DedApplied on the Supplemental row; Dentrix and
    Eaglesoft: the columns the payment raised, lowered again)."""
    claim = _open_claim(harness, ledger)
    before = harness.deductible_met(claim.patient_id)
    original = (
        ProcedurePayment(claim.lines[0].proc_ref, paid=D("60.00"), deductible=D("25.00")),
        ProcedurePayment(claim.lines[1].proc_ref, paid=D("30.00")),
    )
    _reverse_and_correct(harness, ledger, original)
    assert harness.deductible_met(claim.patient_id) == before
