"""Insurance payments on the emulated Eaglesoft ledger (what we write is unverified [U])."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.base import ClaimMatch, marker_for
from adapters.eaglesoft import mapping as m
from adapters.eaglesoft.adapter import EaglesoftLedger
from connector.domain import CheckRecord, InsurancePaymentPlan, ProcedurePayment
from connector.errors import DataError, PermanentError, TransientError
from tests.adapters.eaglesoft.conftest import TODAY, Db
from tests.support.journal import MemoryJournal

D = Decimal
CHECK = CheckRecord("TRACE777", D("250.00"), TODAY, "Delta Dental", "5", "ACH")


def plan(claim: str, patient: str, lines: tuple[ProcedurePayment, ...]) -> InsurancePaymentPlan:
    key = f"era:1234567890:TRACE777:250.00:20261120:{claim}:ICN{claim}:1"
    return InsurancePaymentPlan(key, marker_for(key, auto=True), claim, patient, lines, TODAY,
                                CHECK)  # fmt: skip


MARY = plan("501", "102", (ProcedurePayment("1002", D("96.00"), D("14.00")),
                           ProcedurePayment("1003", D("56.00"), D("4.00"))))  # fmt: skip
TIM = plan("502", "103", (ProcedurePayment("1004", D("68.00")),
                          ProcedurePayment("1005", D("30.00"), D("20.00"))))  # fmt: skip


def test_claim_payment_links_claim_bulk_payment_and_services(ledger: EaglesoftLedger, db: Db):
    """A type I header on the claim and bulk payment with details applied to each service, a
    type C write-off header, paid amounts on services, claim and patient, balances refreshed."""
    entry = ledger.post_insurance_payment(MARY, MemoryJournal())
    pay, writeoff = entry.pms_ids["tran_nums"]
    (bulk,) = db.rows("SELECT * FROM bulk_payments WHERE bulk_payment_num > 1")
    assert (bulk["insurance_company"], bulk["paytype_id"], D(str(bulk["amount"]))) == (
        201, 5, D("250"),
    )  # fmt: skip
    assert entry.pms_ids["bulk_payment_num"] == bulk["bulk_payment_num"]
    (header,) = db.rows("SELECT * FROM transactions_header WHERE tran_num = ?", pay)
    assert (header["type"], header["claim_id"], header["bulk_payment_num"]) == (
        "I", 501, bulk["bulk_payment_num"],
    )  # fmt: skip
    assert header["description"].startswith(m.compact_marker(MARY.external_ref, auto=True))
    applied = db.rows("SELECT applied_to, amount FROM transactions_detail WHERE tran_num = ? "
                      "ORDER BY detail_id", pay)  # fmt: skip
    assert [(r["applied_to"], D(str(r["amount"]))) for r in applied] == [
        (1002, D("-96")), (1003, D("-56")),
    ]  # fmt: skip
    (wo,) = db.rows("SELECT type, adjustment_type, amount FROM transactions_header "
                    "WHERE tran_num = ?", writeoff)  # fmt: skip
    assert (wo["type"], wo["adjustment_type"], D(str(wo["amount"]))) == ("C", 12, D("-18"))
    assert db.money("SELECT prim_total_paid FROM insurance_claim WHERE claim_id = 501") == D(
        "152.00"
    )
    assert db.money("SELECT paid_primary FROM transactions_header WHERE tran_num = 1002") == D(
        "96.00"
    )
    # Mary owed 190.00; insurance paid 152.00 and 18.00 was written off.
    assert db.money("SELECT current_bal FROM patient WHERE patient_id = 102") == D("20.00")
    due = {c.charge_ref: c.amount_due for c in ledger.family_charges(ledger.find_patient("102"))}  # type: ignore[arg-type]
    assert (due["1002"], due["1003"]) == (D("10.00"), D("10.00"))
    (claim,) = ledger.find_claims(ClaimMatch(claim_identifier="501"))
    assert claim.received


def test_two_claims_on_one_check_share_one_bulk_payment(ledger: EaglesoftLedger, db: Db):
    """The second claim of the same check reuses the bulk payment the first created."""
    first = ledger.post_insurance_payment(MARY, MemoryJournal())
    second = ledger.post_insurance_payment(TIM, MemoryJournal())
    assert first.pms_ids["bulk_payment_num"] == second.pms_ids["bulk_payment_num"]
    assert db.count("SELECT COUNT(*) FROM bulk_payments WHERE bulk_payment_num > 1") == 1


def test_resume_after_the_bulk_step(ledger: EaglesoftLedger, db: Db):
    """A failure in step 2 leaves step 1 journalled; the retry resumes without a second bulk
    payment and posts the claim once."""
    journal = MemoryJournal()
    db.rows("CREATE TABLE crash_switch (armed INTEGER)")
    db.rows("INSERT INTO crash_switch VALUES (1)")
    db.rows("CREATE TRIGGER crash_on_claim BEFORE UPDATE ON insurance_claim "
            "WHEN EXISTS (SELECT 1 FROM crash_switch) "
            "BEGIN SELECT RAISE(ABORT, 'simulated crash'); END")  # fmt: skip
    with pytest.raises(TransientError):
        ledger.post_insurance_payment(MARY, journal)
    assert journal.done("eaglesoft_bulk_payment") is not None
    assert journal.done("eaglesoft_claim_payment") is None
    assert ledger.find_posting(MARY.external_ref) is None
    db.rows("DELETE FROM crash_switch")
    entry = ledger.post_insurance_payment(MARY, journal)
    assert entry.steps_done == ("eaglesoft_bulk_payment", "eaglesoft_claim_payment")
    assert db.count("SELECT COUNT(*) FROM bulk_payments WHERE bulk_payment_num > 1") == 1
    assert db.count("SELECT COUNT(*) FROM transactions_header WHERE claim_id = 501 "
                    "AND type IN ('I', 'C')") == 2  # fmt: skip
    again = ledger.post_insurance_payment(MARY, journal)
    assert again.already_existed


def test_service_not_on_the_claim_is_a_data_error(ledger: EaglesoftLedger):
    """A line naming a service of another claim is refused."""
    bad = plan("501", "102", (ProcedurePayment("1004", D("1.00")),))
    with pytest.raises(DataError, match="not on claim"):
        ledger.post_insurance_payment(bad, MemoryJournal())


REV_CHECK = CheckRecord("TRACE888", D("40.00"), TODAY, "Delta Dental", "5", "ACH")


def reversal(original: InsurancePaymentPlan) -> InsurancePaymentPlan:
    """The CLP02 = 22 plan the engine makes: every amount negated, supplemental."""
    key = original.external_ref.replace("TRACE777", "TRACE888")[:-1] + "22"
    lines = tuple(
        ProcedurePayment(p.proc_ref, -p.paid, -p.writeoff, -p.deductible) for p in original.lines
    )
    return InsurancePaymentPlan(key, marker_for(key, auto=True), original.claim_id,
                                original.patient_id, lines, TODAY, REV_CHECK,
                                supplemental=True)  # fmt: skip


def test_reversal_is_debit_adjustments_on_the_claim(ledger: EaglesoftLedger, db: Db):
    """CLP02 = 22 after our payment: a type D header of the insurance refund type (impacts C) on
    the claim and the reversing check's bulk payment, details applied to each service; a type D
    header of the write-off type for the write-offs taken back; paid amounts and the patient's
    balance back where they were; found by its marker; the claim reads as not paid."""
    before = db.rows("SELECT current_bal FROM patient WHERE patient_id = 102")[0]["current_bal"]
    ledger.post_insurance_payment(MARY, MemoryJournal())
    entry = ledger.post_insurance_payment(reversal(MARY), MemoryJournal())
    refund, writeoff = entry.pms_ids["tran_nums"]
    (head,) = db.rows("SELECT * FROM transactions_header WHERE tran_num = ?", refund)
    assert (head["type"], head["adjustment_type"], head["impacts"], head["claim_id"]) == (
        "D", 15, "C", 501,
    )  # fmt: skip
    assert (
        D(str(head["amount"])) == D("152")
        and head["bulk_payment_num"] == (entry.pms_ids["bulk_payment_num"])
    )
    assert m.has_marker(head["description"], reversal(MARY).external_ref)
    rows = db.rows("SELECT amount, applied_to FROM transactions_detail WHERE tran_num = ? "
                   "ORDER BY detail_id", refund)  # fmt: skip
    assert [(D(str(r["amount"])), r["applied_to"]) for r in rows] == [
        (D("96"), 1002), (D("56"), 1003),
    ]  # fmt: skip
    (wo,) = db.rows("SELECT * FROM transactions_header WHERE tran_num = ?", writeoff)
    assert (wo["type"], wo["adjustment_type"], D(str(wo["amount"]))) == ("D", 12, D("18"))
    paid = db.rows("SELECT paid_primary FROM transactions_header WHERE tran_num IN (1002, 1003)")
    assert [D(str(r["paid_primary"])) for r in paid] == [D("0"), D("0")]
    (claim,) = db.rows("SELECT prim_total_paid FROM insurance_claim WHERE claim_id = 501")
    assert D(str(claim["prim_total_paid"])) == D("0")
    after = db.rows("SELECT current_bal FROM patient WHERE patient_id = 102")[0]["current_bal"]
    assert D(str(after)) == D(str(before))
    found = ledger.find_posting(reversal(MARY).external_ref)
    assert found is not None and sorted(found.pms_ids["tran_nums"]) == sorted([refund, writeoff])
    (record,) = ledger.find_claims(ClaimMatch(claim_identifier="501"))
    assert not record.received and [line.paid for line in record.lines] == [D("0"), D("0")]


def test_reversal_without_an_insurance_refund_type_writes_nothing(ledger: EaglesoftLedger, db: Db):
    """No adjustment type named for insurance refunds: insurance_refund_type_missing; the claim
    step writes nothing (the reversing check's bulk payment alone may exist)."""
    ledger.post_insurance_payment(MARY, MemoryJournal())
    db.rows("DELETE FROM adjustment_type WHERE adjustment_type_id = 15")
    count = db.count("SELECT COUNT(*) FROM transactions_header")
    with pytest.raises(PermanentError) as refused:
        ledger.post_insurance_payment(reversal(MARY), MemoryJournal())
    assert refused.value.code == "insurance_refund_type_missing"
    assert db.count("SELECT COUNT(*) FROM transactions_header") == count


def test_reversal_taking_back_more_than_paid_is_refused(ledger: EaglesoftLedger, db: Db):
    """A reversal of money Eaglesoft does not show paid is claim_changed, nothing written."""
    count = db.count("SELECT COUNT(*) FROM transactions_header")
    with pytest.raises(DataError) as refused:
        ledger.post_insurance_payment(reversal(TIM), MemoryJournal())
    assert refused.value.code in ("claim_changed", "claim_not_received")
    assert db.count("SELECT COUNT(*) FROM transactions_header") == count


def _remaining(db: Db, patient: int) -> tuple[Decimal, Decimal]:
    (row,) = db.rows("SELECT prim_remaining_deductible, sec_remaining_deductible FROM patient "
                     "WHERE patient_id = ?", patient)  # fmt: skip
    return D(str(row["prim_remaining_deductible"])), D(str(row["sec_remaining_deductible"]))


def test_deductible_lowers_the_remaining_deductible_and_a_reversal_gives_it_back(
    ledger: EaglesoftLedger, db: Db
):
    """The claim's PR-1 deductible lowers the patient's prim_remaining_deductible in the claim
    step; the reversal raises it again; the secondary plan's figure is untouched."""
    lines = (
        ProcedurePayment("1004", D("48.00"), D("0.00"), D("20.00")),
        ProcedurePayment("1005", D("30.00"), D("0.00"), D("5.00")),
    )
    paid = plan("502", "103", lines)
    assert _remaining(db, 103) == (D("50"), D("50"))
    ledger.post_insurance_payment(paid, MemoryJournal())
    assert _remaining(db, 103) == (D("25"), D("50"))
    ledger.post_insurance_payment(paid, MemoryJournal())  # found by its marker: nothing added
    assert _remaining(db, 103) == (D("25"), D("50"))
    ledger.post_insurance_payment(reversal(paid), MemoryJournal())
    assert _remaining(db, 103) == (D("50"), D("50"))


def test_remaining_deductible_never_goes_below_zero(ledger: EaglesoftLedger, db: Db):
    """A deductible larger than what Eaglesoft shows remaining leaves zero, not a negative."""
    paid = plan("501", "102", (ProcedurePayment("1002", D("36.00"), D("0.00"), D("60.00")),))
    ledger.post_insurance_payment(paid, MemoryJournal())
    assert _remaining(db, 102) == (D("0"), D("0"))
