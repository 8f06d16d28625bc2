"""Patient-preferred allocation through Open Dental's own ``isPatientPreferred`` auto-split, and
a review that lists the splits to enter when the API cannot write the plan."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.domain import AllocationMode, PatientPaymentPlan, Split
from connector.errors import DataError
from connector.posting.allocation import allocate_oldest_first
from tests.adapters.opendental.helpers import plan
from tests.support.opendental import OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service
D = Decimal


def preferred_plan(od: OdContext, key: str, amount: str, patient: int) -> PatientPaymentPlan:
    """The engine's patient-preferred plan for ``patient`` over the family's open charges."""
    ledger = od.ledger()
    record = ledger.find_patient(str(patient))
    assert record is not None
    splits = allocate_oldest_first(
        D(amount),
        ledger.family_charges(record),
        payer_id=str(patient),
        payer_provider_id=record.provider_id,
        patient_preferred=True,
    )
    return plan(key, amount, *splits, patient=patient)


def test_guarantor_with_an_adjustment_posts_through_patient_preferred(od: OdContext) -> None:
    """$150 from Ana, whose own charges include a finance-charge adjustment: one POST /payments
    with isPatientPreferred, and Open Dental's splits are exactly the plan's."""
    pay = preferred_plan(od, "txn_pref", "150.00", Ids.ANA)
    assert any(s.charge_kind == "adjustment" for s in pay.splits)  # the case that went to review
    entry = od.ledger().post_patient_payment(pay)
    assert "splits_match" not in entry.pms_ids
    posts = [r for r in od.api.requests if r.method == "POST" and r.path == "/payments"]
    assert len(posts) == 1 and posts[0].body is not None
    assert posts[0].body.get("isPatientPreferred") == "true"
    assert not [r for r in od.api.requests if r.path.endswith("/Partial")]
    rows = od.db.rows(
        "SELECT ProcNum, AdjNum, CAST(SplitAmt AS DECIMAL(14,2)) FROM paysplit WHERE PayNum = ?",
        entry.pms_ids["PayNum"],
    )
    got = sorted((int(p), int(a), D(amt)) for p, a, amt in rows)
    want = sorted(
        (int(s.charge_ref) if s.charge_kind == "procedure" else 0,
         int(s.charge_ref) if s.charge_kind == "adjustment" else 0, s.amount)
        for s in pay.splits if s.charge_ref
    ) + ([(0, 0, s.amount) for s in pay.splits if not s.charge_ref])  # fmt: skip
    assert got == sorted(want)


def test_a_plan_the_api_cannot_write_lists_the_splits_to_enter(od: OdContext) -> None:
    """$20 on Ana's finance charge alone is neither FIFO nor patient-first nor procedures only:
    review allocation_not_expressible naming each split; nothing is written."""
    odd = plan(
        "txn_odd", "20.00",
        Split(D("20.00"), str(Ids.ANA), str(Ids.DOC1), str(Ids.A_ANA_FINANCE), "adjustment"),
        mode=AllocationMode.ALLOCATE_OLDEST_FIRST,
    )  # fmt: skip
    before = od.db.rows("SELECT COUNT(*) FROM payment")[0][0]
    with pytest.raises(DataError) as info:
        od.ledger().post_patient_payment(odd)
    assert info.value.code == "allocation_not_expressible"
    assert f"adjustment {Ids.A_ANA_FINANCE}: 20.00" in info.value.message
    assert info.value.context["splits"] == f"adjustment {Ids.A_ANA_FINANCE}: 20.00"
    assert od.db.rows("SELECT COUNT(*) FROM payment")[0][0] == before


def test_an_office_that_splits_by_hand_gets_the_plan_split_explicitly(od: OdContext) -> None:
    """RigorousAccounting 2 ("Manual"): Open Dental would leave the money unallocated, so the
    adapter allocates explicitly (…/Partial) and the payment carries exactly the plan's splits."""
    pay = plan(
        "txn_manual", "27.00",
        Split(D("12.00"), str(Ids.ANA), str(Ids.DOC1), str(Ids.P_ANA_EXAM), "procedure"),
        Split(D("15.00"), str(Ids.ANA), str(Ids.HYG1), str(Ids.P_ANA_PROPHY), "procedure"),
    )  # fmt: skip
    conn = od.db.admin()
    try:
        conn.cursor().execute(
            "UPDATE preference SET ValueString = '2' WHERE PrefName = 'RigorousAccounting'"
        )
        entry = od.ledger().post_patient_payment(pay)
    finally:
        conn.cursor().execute(
            "UPDATE preference SET ValueString = '1' WHERE PrefName = 'RigorousAccounting'"
        )
        conn.close()
    assert "splits_match" not in entry.pms_ids
    assert [r.path for r in od.api.requests if r.method == "PUT"] == [
        f"/payments/{entry.pms_ids['PayNum']}/Partial"
    ]
    rows = od.db.rows("SELECT ProcNum FROM paysplit WHERE PayNum = ? ORDER BY ProcNum",
                      entry.pms_ids["PayNum"])  # fmt: skip
    assert [int(r[0]) for r in rows] == [Ids.P_ANA_EXAM, Ids.P_ANA_PROPHY]
