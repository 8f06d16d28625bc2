"""Open Dental specifics of patient payments: which API form is used, and crash recovery."""

from __future__ import annotations

import dataclasses

import pytest

from adapters.opendental.adapter import EXPLICIT_TAG
from connector.domain import AllocationMode, Split
from connector.errors import AuthError, DataError, PermanentError, TransientError
from tests.adapters.opendental.helpers import D, count, plan, proc_split, writes
from tests.contract.plans import reversal_plan
from tests.support.opendental import OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service


def test_fifo_plan_uses_open_dentals_own_split(od: OdContext) -> None:
    """A plan equal to Open Dental's FIFO is one POST /payments without procNums."""
    ledger = od.ledger()
    p = plan("txn_fifo", "27.00", proc_split("12.00", Ids.P_ANA_EXAM, Ids.ANA, Ids.DOC1),
             proc_split("15.00", Ids.P_ANA_PROPHY, Ids.ANA, Ids.HYG1))  # fmt: skip
    ledger.post_patient_payment(p)
    assert writes(od) == [("POST", "/payments", 201)]
    assert "procNums" not in (od.api.requests[0].body or {})


def test_a_payment_costs_four_reads_and_one_api_call(od: OdContext) -> None:
    """find_posting, the planning reads (patient, family charges) and post_patient_payment of
    one item: 4 ODBC reads and 1 API call; the post reads again only the written splits."""
    ledger = od.ledger()
    ledger.payment_types()  # the definitions are cached for 5 minutes, not read per payment
    ledger.splits_by_hand()  # so is the office's RigorousAccounting
    p = plan("txn_reads", "27.00", proc_split("12.00", Ids.P_ANA_EXAM, Ids.ANA, Ids.DOC1),
             proc_split("15.00", Ids.P_ANA_PROPHY, Ids.ANA, Ids.HYG1))  # fmt: skip
    before = ledger.stats()
    assert ledger.find_posting(p.external_ref, patient_id=p.patient_id) is None
    patient = ledger.find_patient(p.patient_id)
    assert patient is not None
    ledger.family_charges(patient)
    entry = ledger.post_patient_payment(p)
    after = ledger.stats()
    assert after["odbc_queries"] - before["odbc_queries"] == 4
    assert after["http_requests"] - before["http_requests"] == 1
    assert ledger.find_posting(p.external_ref, patient_id=p.patient_id) == dataclasses.replace(
        entry, already_existed=True
    )


def test_a_post_for_another_item_reads_for_itself(od: OdContext) -> None:
    """What was read for one item is never used to post another: patient, marker and charges
    are read again (and a charge that is no longer open is still caught)."""
    ledger = od.ledger()
    ledger.payment_types()
    ledger.splits_by_hand()
    assert ledger.find_posting("txn_first", patient_id=str(Ids.ANA)) is None
    patient = ledger.find_patient(str(Ids.ANA))
    assert patient is not None
    ledger.family_charges(patient)
    other = plan("txn_other", "12.00", proc_split("12.00", Ids.P_ANA_EXAM, Ids.ANA, Ids.DOC1))
    before = ledger.stats()["odbc_queries"]
    ledger.post_patient_payment(other)
    assert ledger.stats()["odbc_queries"] - before == 4  # patient, marker, charges, splits
    again = plan("txn_again", "12.00", proc_split("12.00", Ids.P_ANA_EXAM, Ids.ANA, Ids.DOC1))
    with pytest.raises(DataError) as info:
        ledger.post_patient_payment(again)  # the exam was paid by txn_other
    assert info.value.code == "charge_changed"


def test_procedure_fifo_plan_uses_proc_nums(od: OdContext) -> None:
    """A plan that is FIFO over chosen procedures is one POST with procNums."""
    ledger = od.ledger()
    p = plan("txn_procnums", "70.00", proc_split("60.00", Ids.P_CLEO_PROPHY, Ids.CLEO, Ids.HYG1),
             proc_split("10.00", Ids.P_ANA_CROWN, Ids.ANA, Ids.DOC1))  # fmt: skip
    ledger.post_patient_payment(p)
    assert writes(od) == [("POST", "/payments", 201)]
    assert sorted(od.api.requests[0].body["procNums"]) == [Ids.P_CLEO_PROPHY, Ids.P_ANA_CROWN]


def test_other_plans_are_allocated_explicitly(od: OdContext) -> None:
    """A non-FIFO plan is a prepayment POST then PUT …/Partial, and then reads as complete."""
    ledger = od.ledger()
    p = plan("txn_partial", "110.00", proc_split("100.00", Ids.P_ANA_CROWN, Ids.ANA, Ids.DOC1),
             proc_split("10.00", Ids.P_CLEO_PROPHY, Ids.CLEO, Ids.HYG1))  # fmt: skip
    entry = ledger.post_patient_payment(p)
    partial = f"/payments/{entry.pms_ids['PayNum']}/Partial"
    assert writes(od) == [("POST", "/payments", 201), ("PUT", partial, 200)]
    assert "splits_match" not in entry.pms_ids


def test_interrupted_explicit_allocation_is_finished_on_retry(od: OdContext) -> None:
    """If Partial fails after the POST, find_posting says "not posted" and a retry only
    finishes the allocation (no second payment)."""
    ledger = od.ledger()
    p = plan("txn_resume", "110.00", proc_split("100.00", Ids.P_ANA_CROWN, Ids.ANA, Ids.DOC1),
             proc_split("10.00", Ids.P_CLEO_PROPHY, Ids.CLEO, Ids.HYG1))  # fmt: skip
    od.api.faults.fail(2, status=503, path="/Partial$")
    with pytest.raises(TransientError):
        ledger.post_patient_payment(p)
    tagged = "SELECT COUNT(*) FROM payment WHERE LOCATE(?, PayNote) > 0"
    assert count(od, tagged, EXPLICIT_TAG) == 1
    assert ledger.find_posting("txn_resume") is None
    entry = ledger.post_patient_payment(p)
    assert entry.already_existed
    assert [r.method for r in od.api.requests].count("POST") == 1
    splits = od.db.rows("SELECT ProcNum, CAST(SplitAmt AS DECIMAL(14,2)) FROM paysplit "
                        "WHERE PayNum = ? ORDER BY ProcNum", entry.pms_ids["PayNum"])  # fmt: skip
    assert [tuple(s) for s in splits] == [
        (Ids.P_CLEO_PROPHY, D("10.00")),
        (Ids.P_ANA_CROWN, D("100.00")),
    ]
    assert ledger.find_posting("txn_resume") is not None


def test_server_error_after_the_write_does_not_duplicate(od: OdContext) -> None:
    """A 5xx that came after Open Dental saved the payment is healed by looking, not re-sending."""
    ledger = od.ledger()
    od.api.faults.fail(1, status=500, after_write=True, path="^/payments$")
    entry = ledger.post_patient_payment(
        plan("txn_late", "10.00", Split(D("10.00"), str(Ids.GIA)), patient=Ids.GIA,
             mode=AllocationMode.POST_ONLY))  # fmt: skip
    assert writes(od) == [("POST", "/payments", 500)]
    assert count(od, "SELECT COUNT(*) FROM payment WHERE PatNum = ?", Ids.GIA) == 1
    assert entry.pms_ids["PayNum"]


def test_transient_failure_before_the_write_is_retried_once(od: OdContext) -> None:
    """A 503 before anything was written is re-sent once after looking."""
    ledger = od.ledger()
    od.api.faults.fail(1, status=503, path="^/payments$")
    ledger.post_patient_payment(
        plan("txn_retry", "10.00", Split(D("10.00"), str(Ids.GIA)), patient=Ids.GIA,
             mode=AllocationMode.POST_ONLY))  # fmt: skip
    assert writes(od) == [("POST", "/payments", 503), ("POST", "/payments", 201)]
    assert count(od, "SELECT COUNT(*) FROM payment WHERE PatNum = ?", Ids.GIA) == 1


def test_interrupted_refund_is_relabelled_not_repeated(od: OdContext) -> None:
    """If relabelling the refund fails, the retry reuses the refund row (no second refund)."""
    ledger = od.ledger()
    posted = ledger.post_patient_payment(
        plan("txn_orig", "27.00", proc_split("12.00", Ids.P_ANA_EXAM, Ids.ANA, Ids.DOC1),
             proc_split("15.00", Ids.P_ANA_PROPHY, Ids.ANA, Ids.HYG1)))  # fmt: skip
    reversal = reversal_plan("txn_refund", "txn_orig", posted.pms_ids, str(Ids.ANA), D("27.00"),
                             day=posted_day())  # fmt: skip
    od.api.faults.fail(2, status=503, method="PUT")
    with pytest.raises(TransientError):
        ledger.post_reversal(reversal)
    assert ledger.find_posting("txn_refund") is None
    orig = ledger.find_posting("txn_orig")
    assert orig is not None and orig.pms_ids["PayNum"] == posted.pms_ids["PayNum"]
    entry = ledger.post_reversal(reversal)
    refunds = [r for r in od.api.requests if r.path == "/payments/Refund"]
    assert len(refunds) == 1
    assert count(od, "SELECT COUNT(*) FROM payment WHERE PayAmt < 0") == 1
    assert entry.pms_ids["RefundOf"] == posted.pms_ids["PayNum"]


def test_reversal_larger_than_the_payment_is_refused(od: OdContext) -> None:
    """Refunding more than was paid is a PermanentError and writes nothing."""
    ledger = od.ledger()
    posted = ledger.post_patient_payment(
        plan("txn_small", "10.00", Split(D("10.00"), str(Ids.GIA)), patient=Ids.GIA,
             mode=AllocationMode.POST_ONLY))  # fmt: skip
    with pytest.raises(PermanentError):
        ledger.post_reversal(reversal_plan("txn_big", "txn_small", posted.pms_ids, str(Ids.GIA),
                                           D("10.01"), day=posted_day()))  # fmt: skip
    assert count(od, "SELECT COUNT(*) FROM payment WHERE PayAmt < 0") == 0


def test_adjustment_mix_open_dental_cannot_express_is_refused(od: OdContext) -> None:
    """A plan with an adjustment split that differs from Open Dental's FIFO cannot be written;
    it is a data problem for a person (review), not a dead item."""
    ledger = od.ledger()
    p = plan("txn_adj", "25.00", Split(D("25.00"), str(Ids.ANA), str(Ids.DOC1),
                                        str(Ids.A_ANA_FINANCE), "adjustment"))  # fmt: skip
    with pytest.raises(DataError) as info:
        ledger.post_patient_payment(p)
    assert info.value.code == "allocation_not_expressible"
    assert writes(od) == []


def test_wrong_api_keys_are_an_auth_error(od: OdContext) -> None:
    """A 401 from the API becomes AuthError (stop this practice)."""
    ledger = od.ledger(api={"customer_key": {"value": "revoked-key"}})
    with pytest.raises(AuthError):
        ledger.post_patient_payment(
            plan("txn_auth", "10.00", Split(D("10.00"), str(Ids.GIA)), patient=Ids.GIA,
                 mode=AllocationMode.POST_ONLY))  # fmt: skip


def test_stopped_api_is_a_transient_error(od: OdContext) -> None:
    """With the API unreachable the write fails as TransientError and nothing is written."""
    ledger = od.ledger()
    od.api.stop()
    with pytest.raises(TransientError):
        ledger.post_patient_payment(
            plan("txn_down", "10.00", Split(D("10.00"), str(Ids.GIA)), patient=Ids.GIA,
                 mode=AllocationMode.POST_ONLY))  # fmt: skip
    assert count(od, "SELECT COUNT(*) FROM payment WHERE PatNum = ?", Ids.GIA) == 0


def posted_day():  # type: ignore[no-untyped-def]
    """The date used for reversal plans."""
    from tests.adapters.opendental.helpers import DAY

    return DAY
