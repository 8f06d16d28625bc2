"""A key written twice in the PMS is reported, on every adapter (``duplicate_in_pms``).

``find_posting`` returns the oldest posting carrying the key's marker and lists the later
copies in ``PostedEntry.duplicates``; the engine then sends the item to review instead of
assuming one posting (``connector/posting/executor.py``). One posting made of several rows
(a Dentrix payment split over providers, an insurance payment with its write-offs) is one
posting, not a duplicate.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.base import ClaimMatch, Ledger, PatientRecord
from connector.domain import PostedEntry, ProcedurePayment
from tests.contract.harness import Harness
from tests.contract.plans import insurance_plan, oldest_first, payment_plan

pytestmark = pytest.mark.external_service
D = Decimal


def _same(written: dict[str, object], found: dict[str, object]) -> bool:
    """Two pms_ids name the same rows: they agree on every id they both carry."""
    shared = written.keys() & found.keys()
    return bool(shared) and all(written[k] == found[k] for k in shared)


def _family_payment(harness: Harness, ledger: Ledger, key: str, amount: Decimal) -> PostedEntry:
    """A payment over the family's oldest charges (several members: several Dentrix rows)."""
    sc = harness.scenario
    patient = ledger.find_patient(sc.family_member)
    assert isinstance(patient, PatientRecord)
    charges = ledger.family_charges(patient)
    plan = payment_plan(key, sc.guarantor, amount, oldest_first(charges, amount, sc.guarantor),
                        payment_type=sc.payment_type, day=sc.today)  # fmt: skip
    return ledger.post_patient_payment(plan)


def _insurance(harness: Harness, ledger: Ledger, key: str) -> PostedEntry:
    """The open claim paid with a write-off on each of its first two lines."""
    sc = harness.scenario
    (claim,) = ledger.find_claims(ClaimMatch(claim_identifier=sc.open_claim_identifier))
    lines = tuple(
        ProcedurePayment(line.proc_ref, paid=D("30.00"), writeoff=D("5.00"))
        for line in claim.lines[:2]
    )
    plan = insurance_plan(key, claim.claim_id, claim.patient_id, lines, day=sc.today,
                          payment_type=sc.insurance_payment_type)  # fmt: skip
    return ledger.post_insurance_payment(plan, harness.journal())


def _found(harness: Harness, key: str, patient_id: str | None = None) -> PostedEntry:
    restarted = harness.ledger()
    try:
        found = restarted.find_posting(key, patient_id=patient_id)
    finally:
        restarted.close()
    assert found is not None and found.already_existed
    return found


def test_one_posting_of_several_rows_is_no_duplicate(harness: Harness, ledger: Ledger) -> None:
    """A family payment and an insurance payment with write-offs, each written once, are
    found with no duplicates."""
    paid = _family_payment(harness, ledger, "txn_dup_once", D("200.00"))
    insured = _insurance(harness, ledger, "era:T:EFTDUP1:60.00:20261120:2/2::1")
    for entry in (paid, insured):
        found = _found(harness, entry.external_ref)
        assert _same(entry.pms_ids, found.pms_ids) and found.duplicates == ()


def test_a_payment_written_twice_is_reported_with_its_copy(
    harness: Harness, ledger: Ledger
) -> None:
    """The payment's rows written again (marker and all): find_posting returns the first
    posting, with or without the patient hint, and names the copy with its amount."""
    sc = harness.scenario
    paid = _family_payment(harness, ledger, "txn_dup_twice", D("200.00"))
    harness.copy_posting(paid.pms_ids)
    for hint in (None, sc.guarantor):
        found = _found(harness, "txn_dup_twice", hint)
        assert _same(paid.pms_ids, found.pms_ids), (found.pms_ids, paid.pms_ids)
        assert found.amount == D("200.00")
        (copy,) = found.duplicates
        assert copy["amount"] == D("200.00") and not _same(paid.pms_ids, copy)


def test_an_insurance_payment_written_twice_is_reported(harness: Harness, ledger: Ledger) -> None:
    """The claim payment's rows (payment and write-offs) written again: one duplicate."""
    insured = _insurance(harness, ledger, "era:T:EFTDUP2:60.00:20261120:2/2::1")
    harness.copy_posting(insured.pms_ids)
    found = _found(harness, insured.external_ref)
    assert _same(insured.pms_ids, found.pms_ids) and found.amount == D("60.00")
    (copy,) = found.duplicates
    assert copy["amount"] == D("60.00")
