"""Insurance payments on the emulated Dentrix G ledger (what we write is unverified [U])."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.base import ClaimMatch, marker_for
from adapters.dentrix.adapter import DentrixLedger
from connector.domain import CheckRecord, InsurancePaymentPlan, ProcedurePayment
from connector.errors import DataError, NotImplementedYet, PermanentError
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


def test_negative_insurance_amounts_are_not_written(ledger: DentrixLedger):
    """Claim reversals are left to staff: NotImplementedYet, nothing written."""
    with pytest.raises(NotImplementedYet):
        ledger.post_insurance_payment(plan((ProcedurePayment("2002", D("-80.00")),)),
                                      MemoryJournal())  # fmt: skip


def test_writeoff_without_a_writeoff_type_is_refused(ledger: DentrixLedger, db: Db):
    """Without a '-' write-off adjustment type the whole posting is refused and rolled back."""
    db.rows("DELETE FROM admin.fulldef WHERE defid = 12")
    with pytest.raises(PermanentError, match="write-offs"):
        ledger.post_insurance_payment(plan(LINES), MemoryJournal())
    assert db.count("SELECT COUNT(*) FROM admin.fullproclog WHERE claimid = 5001 "
                    "AND chartstatus = 90") == 0  # fmt: skip
