"""Insurance payments on the emulated Dentrix G ledger (what we write is unverified [U])."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.base import ClaimMatch, marker_for
from adapters.dentrix.adapter import DentrixLedger
from connector.domain import CheckRecord, InsurancePaymentPlan, ProcedurePayment
from connector.errors import DataError, PermanentError
from tests.adapters.dentrix.conftest import TODAY, Db
from tests.support.journal import MemoryJournal

D = Decimal
KEY = "era:1234567890:TRACE001:130.00:20261120:5001:ICN1:1"


def plan(lines: tuple[ProcedurePayment, ...], *, claim: str = "5001") -> InsurancePaymentPlan:
    return InsurancePaymentPlan(
        external_ref=KEY,
        marker=marker_for(KEY, auto=True),
        claim_id=claim,
        patient_id="1002",
        lines=lines,
        date_received=TODAY,
        check=CheckRecord("TRACE001", D("130.00"), TODAY, "Delta Dental", "2", "ACH"),
    )


LINES = (
    ProcedurePayment("2002", D("80.00"), D("20.00"), D("10.00")),
    ProcedurePayment("2003", D("50.00"), D("10.00")),
)


def test_claim_payment_writes_class3_row_paid_amounts_writeoffs_and_receipt(
    ledger: DentrixLedger, db: Db
):
    """One class-3 row for the paid total on the claim, per-procedure primary paid, one '-'
    write-off row per procedure, the claim marked received, and aging moved by both."""
    before = db.aging(1001)
    journal = MemoryJournal()
    entry = ledger.post_insurance_payment(plan(LINES), journal)

    rows = db.rows("SELECT * FROM admin.fullproclog WHERE claimid = 5001 AND chartstatus = 90 "
                   "ORDER BY procid")  # fmt: skip
    assert [(r["proclogclass"], r["proclogorder"], D(str(r["amt"]))) for r in rows] == [
        (3, 2, D("-130")), (2, 12, D("-20")), (2, 12, D("-10")),
    ]  # fmt: skip
    assert rows[0]["checknum"] == "TRACE001"
    paid = db.rows("SELECT procid, amtpriminspaid FROM admin.fullproclog WHERE procid IN "
                   "(2002, 2003) ORDER BY procid")  # fmt: skip
    assert [D(str(r["amtpriminspaid"])) for r in paid] == [D("80"), D("50")]
    (claim,) = db.rows("SELECT datereceived, totalreceived FROM admin.claim WHERE claimid = 5001")
    assert (claim["datereceived"], D(str(claim["totalreceived"]))) == (TODAY, D("130"))
    assert sum(db.aging(1001)[k] for k in ("aging0to30", "aging31to60", "aging61to90")) == sum(
        before[k] for k in ("aging0to30", "aging31to60", "aging61to90")
    ) - D("160.00")
    notes = db.rows("SELECT notetext FROM admin.fullnotes WHERE notetype = 1")
    assert all(n["notetext"].startswith(marker_for(KEY, auto=True)) for n in notes)
    assert "deductible 10.00" in notes[0]["notetext"]
    assert journal.done("dentrix_claim_payment") == entry.pms_ids
    (record,) = ledger.find_claims(ClaimMatch(claim_identifier="5001"))
    assert record.received
    assert [line.paid for line in record.lines] == [D("80.00"), D("50.00")]


def test_retry_after_the_step_is_journalled_writes_nothing(ledger: DentrixLedger, db: Db):
    """A second call with the same journal resumes past the finished step."""
    journal = MemoryJournal()
    first = ledger.post_insurance_payment(plan(LINES), journal)
    count = db.count("SELECT COUNT(*) FROM admin.fullproclog")
    again = ledger.post_insurance_payment(plan(LINES), journal)
    assert again.already_existed and again.pms_ids == first.pms_ids
    assert db.count("SELECT COUNT(*) FROM admin.fullproclog") == count


def test_crash_before_the_journal_is_healed_by_the_marker(ledger: DentrixLedger, db: Db):
    """If the journal never heard of the committed write, the marker stops a second posting."""
    ledger.post_insurance_payment(plan(LINES), MemoryJournal())
    count = db.count("SELECT COUNT(*) FROM admin.fullproclog")
    again = ledger.post_insurance_payment(plan(LINES), MemoryJournal())
    assert again.already_existed
    assert db.count("SELECT COUNT(*) FROM admin.fullproclog") == count
    found = ledger.find_posting(KEY)
    assert found is not None and found.amount == D("130.00")


def test_procedure_not_on_the_claim_is_a_data_error(ledger: DentrixLedger):
    """A line naming a procedure of another claim is refused."""
    with pytest.raises(DataError, match="not on claim"):
        ledger.post_insurance_payment(plan((ProcedurePayment("2004", D("1.00")),)),
                                      MemoryJournal())  # fmt: skip


def test_unknown_claim_is_a_data_error(ledger: DentrixLedger):
    """A claim Dentrix does not have is refused with claim_not_found."""
    with pytest.raises(DataError) as info:
        ledger.post_insurance_payment(plan(LINES, claim="9999"), MemoryJournal())
    assert info.value.code == "claim_not_found"


REV_KEY = "era:1234567890:TRACE002:0.00:20261127:5001:ICN1:22"


def reversal(
    lines: tuple[ProcedurePayment, ...], *, supplemental: bool = True
) -> InsurancePaymentPlan:
    """The CLP02 = 22 plan the engine makes: every amount negated, supplemental."""
    return InsurancePaymentPlan(
        external_ref=REV_KEY,
        marker=marker_for(REV_KEY, auto=True),
        claim_id="5001",
        patient_id="1002",
        lines=tuple(
            ProcedurePayment(p.proc_ref, -p.paid, -p.writeoff, -p.deductible) for p in lines
        ),
        date_received=TODAY,
        check=CheckRecord("TRACE002", D("0.00"), TODAY, "Delta Dental", "2", "ACH"),
        supplemental=supplemental,
    )


def test_reversal_is_an_insurance_refund_adjustment_on_the_claim(ledger: DentrixLedger, db: Db):
    """CLP02 = 22 after our payment: one '+' insurance refund row for the paid amount and one per
    write-off taken back (class 2, type 16, positive, on the claim, marked); primary paid back to
    zero; totalreceived lowered, the claim still received; aging back where it was."""
    before = db.aging(1001)
    ledger.post_insurance_payment(plan(LINES), MemoryJournal())
    journal = MemoryJournal()
    entry = ledger.post_insurance_payment(reversal(LINES), journal)
    assert entry.amount == D("-130.00") and entry.pms_ids["reversal"] is True
    marks = ",".join(str(p) for p in entry.pms_ids["procids"])
    rows = db.rows("SELECT procid, proclogclass, proclogorder, amt, checknum FROM "
                   "admin.fullproclog WHERE claimid = 5001 AND chartstatus = 90 AND procid IN "
                   f"({marks}) ORDER BY procid")  # fmt: skip
    assert [(r["proclogclass"], r["proclogorder"], D(str(r["amt"]))) for r in rows] == [
        (2, 16, D("130")), (2, 16, D("20")), (2, 16, D("10")),
    ]  # fmt: skip
    assert rows[0]["checknum"] == "TRACE002"
    notes = [db.rows("SELECT notetext FROM admin.fullnotes WHERE notetype = 1 AND noteid = ?",
                     r["procid"])[0]["notetext"] for r in rows]  # fmt: skip
    assert all(n.startswith(marker_for(REV_KEY, auto=True)) for n in notes)
    assert "insurance refund (claim reversal), check/EFT TRACE002" in notes[0]
    assert notes[1].endswith("write-off reversal on procedure 2002")
    paid = db.rows("SELECT amtpriminspaid FROM admin.fullproclog WHERE procid IN (2002, 2003) "
                   "ORDER BY procid")  # fmt: skip
    assert [D(str(r["amtpriminspaid"])) for r in paid] == [D("0"), D("0")]
    (claim,) = db.rows("SELECT datereceived, totalreceived FROM admin.claim WHERE claimid = 5001")
    assert (claim["datereceived"], D(str(claim["totalreceived"]))) == (TODAY, D("0"))
    buckets = ("aging0to30", "aging31to60", "aging61to90", "aging91plus")
    assert sum(db.aging(1001)[k] for k in buckets) == sum(before[k] for k in buckets)
    assert journal.done("dentrix_claim_payment") == entry.pms_ids
    found = ledger.find_posting(REV_KEY)
    assert found is not None and found.pms_ids["procids"] == entry.pms_ids["procids"]
    (record,) = ledger.find_claims(ClaimMatch(claim_identifier="5001"))
    assert record.received and [line.paid for line in record.lines] == [D("0.00"), D("0.00")]


def test_reversal_without_an_insurance_refund_type_is_refused_whole(ledger: DentrixLedger, db: Db):
    """No '+' type named for insurance refunds: insurance_refund_type_missing, nothing written."""
    ledger.post_insurance_payment(plan(LINES), MemoryJournal())
    db.rows("DELETE FROM admin.fulldef WHERE defid = 16")
    count = db.count("SELECT COUNT(*) FROM admin.fullproclog")
    with pytest.raises(PermanentError) as refused:
        ledger.post_insurance_payment(reversal(LINES), MemoryJournal())
    assert refused.value.code == "insurance_refund_type_missing"
    assert db.count("SELECT COUNT(*) FROM admin.fullproclog") == count
    paid = db.rows("SELECT amtpriminspaid FROM admin.fullproclog WHERE procid = 2002")
    assert D(str(paid[0]["amtpriminspaid"])) == D("80")


def test_reversal_refusals(ledger: DentrixLedger, db: Db):
    """Mixed signs are no reversal (plan_invalid); a claim not received has nothing to take back
    (claim_not_received); taking back more than Dentrix shows paid is claim_changed."""
    with pytest.raises(PermanentError) as mixed:
        ledger.post_insurance_payment(
            plan((ProcedurePayment("2002", D("-80.00")), ProcedurePayment("2003", D("5.00")))),
            MemoryJournal(),
        )
    assert mixed.value.code == "plan_invalid"
    with pytest.raises(DataError) as unreceived:
        ledger.post_insurance_payment(reversal(LINES, supplemental=False), MemoryJournal())
    assert unreceived.value.code == "claim_not_received"
    with pytest.raises(DataError) as more:
        ledger.post_insurance_payment(reversal(LINES), MemoryJournal())
    assert more.value.code == "claim_changed"
    assert db.count("SELECT COUNT(*) FROM admin.fullproclog WHERE claimid = 5001 "
                    "AND chartstatus = 90") == 0  # fmt: skip


def test_writeoff_without_a_writeoff_type_is_refused(ledger: DentrixLedger, db: Db):
    """Without a '-' write-off adjustment type the whole posting is refused and rolled back."""
    db.rows("DELETE FROM admin.fulldef WHERE defid = 12")
    with pytest.raises(PermanentError, match="write-offs"):
        ledger.post_insurance_payment(plan(LINES), MemoryJournal())
    assert db.count("SELECT COUNT(*) FROM admin.fullproclog WHERE claimid = 5001 "
                    "AND chartstatus = 90") == 0  # fmt: skip


def _deductibles(db: Db) -> tuple[Decimal, Decimal, Decimal]:
    """Mary's (1002) primary and secondary standard deductible met, and her plan's family one."""
    (pat,) = db.rows("SELECT primstdded, secstdded FROM admin.patient WHERE patid = 1002")
    (ins,) = db.rows("SELECT famstddedmet FROM admin.insured WHERE insuredid = 7001")
    return D(str(pat["primstdded"])), D(str(pat["secstdded"])), D(str(ins["famstddedmet"]))


def test_deductible_is_added_to_the_deductibles_met_and_backed_out_by_a_reversal(
    ledger: DentrixLedger, db: Db
):
    """The claim's PR-1 deductible raises the patient's primary standard deductible met and the
    family's on the claim's insured row, in the payment's transaction; the reversal lowers both
    again; a retry adds nothing."""
    assert _deductibles(db) == (D("0"), D("0"), D("0"))
    journal = MemoryJournal()
    ledger.post_insurance_payment(plan(LINES), journal)
    assert _deductibles(db) == (D("10"), D("0"), D("10"))
    ledger.post_insurance_payment(plan(LINES), MemoryJournal())  # found by its marker
    assert _deductibles(db) == (D("10"), D("0"), D("10"))
    ledger.post_insurance_payment(reversal(LINES), MemoryJournal())
    assert _deductibles(db) == (D("0"), D("0"), D("0"))


def test_deductible_of_a_secondary_claim_goes_to_the_secondary_column(
    ledger: DentrixLedger, db: Db
):
    """claimtype 1 (secondary [I]): secstdded, not primstdded."""
    db.rows("UPDATE admin.claim SET claimtype = 1 WHERE claimid = 5001")
    ledger.post_insurance_payment(plan(LINES), MemoryJournal())
    assert _deductibles(db) == (D("0"), D("10"), D("10"))


def test_reversal_never_makes_a_deductible_met_negative(ledger: DentrixLedger, db: Db):
    """Staff lowered the deductible met by hand after our payment: the reversal stops at zero."""
    ledger.post_insurance_payment(plan(LINES), MemoryJournal())
    db.rows("UPDATE admin.patient SET primstdded = 4 WHERE patid = 1002")
    ledger.post_insurance_payment(reversal(LINES), MemoryJournal())
    assert _deductibles(db) == (D("0"), D("0"), D("0"))
