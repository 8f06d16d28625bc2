"""One insurance check per remittance (Open Dental's own ERA finalize), resumable between claims.

Ben's and Dan's sent claims are paid by one 835 (TRN02 ``EFT77``, BPR02 = 258.00 = 160 + 98):
one claimpayment with CheckNum = TRN02 and CheckAmt = the remittance total, both claims attached.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from adapters.base import marker_for
from connector.domain import CheckRecord, InsurancePaymentPlan, ProcedurePayment
from connector.errors import TransientError
from tests.adapters.opendental.helpers import DAY, ben_claim_plan, count
from tests.support.journal import MemoryJournal
from tests.support.opendental import OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service
D = Decimal
REMIT = "era:1234567890:EFT77:258.00:20260105"
CHECK = CheckRecord("EFT77", D("258.00"), DAY, "Delta Dental of Example", str(Ids.INSPAY_EFT),
                    "ACH", remittance_key=REMIT)  # fmt: skip


def ben() -> InsurancePaymentPlan:
    """Ben's claim, first claim of the remittance."""
    return dataclasses.replace(ben_claim_plan(f"{REMIT}:2/2::1"), check=CHECK)


def dan() -> InsurancePaymentPlan:
    """Dan's claim, second claim of the remittance."""
    key = f"{REMIT}:4/4::1"
    return InsurancePaymentPlan(
        external_ref=key, marker=marker_for(key, auto=True), claim_id=str(Ids.CLAIM_DAN_SENT),
        patient_id=str(Ids.DAN),
        lines=(ProcedurePayment(str(Ids.P_DAN_PANO), D("98.00"), D("12.00"), remarks="CO-45"),),
        date_received=DAY, check=CHECK,
    )  # fmt: skip


def checks(od: OdContext) -> list[tuple[Any, ...]]:
    """(CheckNum, CheckAmt, IsPartial, attached InsPayAmt, claims attached) per claimpayment."""
    return [
        tuple(r)
        for r in od.db.rows(
            "SELECT c.CheckNum, CAST(c.CheckAmt AS DECIMAL(14,2)), c.IsPartial, "
            "CAST(COALESCE(SUM(p.InsPayAmt), 0) AS DECIMAL(14,2)), COUNT(DISTINCT p.ClaimNum) "
            "FROM claimpayment c LEFT JOIN claimproc p ON p.ClaimPaymentNum = c.ClaimPaymentNum "
            "WHERE c.ClaimPaymentNum > 1 GROUP BY c.ClaimPaymentNum ORDER BY c.ClaimPaymentNum"
        )
    ]


def test_two_claims_of_one_remittance_share_one_check(od: OdContext) -> None:
    """The first claim creates the check (CheckAmt = remittance total, partial), the second is
    attached to it; each claim is found by its own key; posting again writes nothing."""
    first = od.ledger().post_insurance_payment(ben(), MemoryJournal())
    assert checks(od) == [("EFT77", D("258.00"), 1, D("160.00"), 1)]
    second = od.ledger().post_insurance_payment(dan(), MemoryJournal())
    assert checks(od) == [("EFT77", D("258.00"), 1, D("258.00"), 2)]
    assert first.pms_ids["ClaimPaymentNum"] == second.pms_ids["ClaimPaymentNum"]
    assert len(first.pms_ids["ClaimProcNums"]) == 2 and len(second.pms_ids["ClaimProcNums"]) == 1
    note = od.db.rows("SELECT Note FROM claimpayment WHERE CheckNum = 'EFT77'")[0][0]
    assert f"[connector check {REMIT}]" in note
    for plan in (ben(), dan()):
        found = od.ledger().find_posting(plan.external_ref)
        assert found is not None and found.amount == plan.paid_total
        assert found.pms_ids["ClaimNum"] == int(plan.claim_id)
        again = od.ledger().post_insurance_payment(plan, MemoryJournal())
        assert again.already_existed
    assert len(checks(od)) == 1
    remarks = od.db.rows("SELECT Remarks FROM claimproc WHERE ProcNum = ?", Ids.P_DAN_PANO)
    assert remarks[0][0] == f"CO-45 {dan().marker}"


def test_a_crash_between_claims_and_between_attachments_resumes(od: OdContext) -> None:
    """The second claim's attach fails after one claimproc; the retry finishes it and no
    check is duplicated; a claim half attached is not reported as posted."""
    od.ledger().post_insurance_payment(dan(), MemoryJournal())  # Dan first this time
    od.api.faults.fail(count=3, status=500, method="PUT", path=r"^/claimprocs/\d+$",
                       body="ClaimPaymentNum", skip=1)  # fmt: skip
    journal = MemoryJournal()
    with pytest.raises(TransientError):
        od.ledger().post_insurance_payment(ben(), journal)
    assert count(od, "SELECT COUNT(*) FROM claimproc WHERE ClaimNum = ? AND ClaimPaymentNum > 0",
                 Ids.CLAIM_BEN_SENT) == 1  # fmt: skip
    assert od.ledger().find_posting(ben().external_ref) is None
    od.api.faults.clear()
    entry = od.ledger().post_insurance_payment(ben(), journal)
    assert not entry.already_existed
    assert checks(od) == [("EFT77", D("258.00"), 1, D("258.00"), 2)]


def test_a_check_created_but_not_journaled_is_found(od: OdContext) -> None:
    """The batch POST reached Open Dental but its answer was lost: the retry adopts the check."""
    od.api.faults.drop(count=1, method="POST", path="^/claimpayments/Batch$", after_write=True)
    journal = MemoryJournal()
    od.ledger().post_insurance_payment(ben(), journal)
    assert checks(od) == [("EFT77", D("258.00"), 1, D("160.00"), 1)]


def test_older_offices_keep_one_check_per_claim(od: OdContext) -> None:
    """Below 24.3.24 (no attach through the API) each claim gets its own check, as before."""
    conn = od.db.admin()
    try:
        conn.cursor().execute(
            "UPDATE preference SET ValueString = '24.2.30.0' WHERE PrefName = 'DataBaseVersion'"
        )
        od.ledger().post_insurance_payment(ben(), MemoryJournal())
        od.ledger().post_insurance_payment(dan(), MemoryJournal())
    finally:
        conn.cursor().execute(
            "UPDATE preference SET ValueString = '25.2.15.0' WHERE PrefName = 'DataBaseVersion'"
        )
        conn.close()
    assert checks(od) == [("EFT77", D("160.00"), 0, D("160.00"), 1),
                          ("EFT77", D("98.00"), 0, D("98.00"), 1)]  # fmt: skip
