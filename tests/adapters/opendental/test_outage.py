"""An API outage in the middle of an insurance posting never leaves a half-written payment:
the error says what remains, and the retry finishes each step exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from connector.errors import TransientError
from tests.adapters.opendental.helpers import D, ben_claim_plan, count
from tests.support.journal import MemoryJournal
from tests.support.opendental import OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service

CP_FILLING = f"claimproc:{Ids.CP_BEN_FILLING}"
CP_BITEWINGS = f"claimproc:{Ids.CP_BEN_BITEWINGS}"


def successful_writes(od: OdContext) -> list[tuple[str, str]]:
    """(method, path) of requests the double answered with 2xx."""
    return [(r.method, r.path) for r in od.api.requests if r.status and r.status < 300]


def checks(od: OdContext) -> int:
    """Claim payments on Ben's claim."""
    return count(od, "SELECT COUNT(DISTINCT ClaimPaymentNum) FROM claimproc "
                     "WHERE ClaimNum = ? AND ClaimPaymentNum <> 0", Ids.CLAIM_BEN_SENT)  # fmt: skip


def test_api_stops_answering_between_steps(od: OdContext) -> None:
    """After one claimproc is received the API stops answering: the error lists the remaining
    steps, no claim payment exists, and the retry does each remaining step once."""
    ledger, journal, plan = od.ledger(), MemoryJournal(), ben_claim_plan()
    od.api.faults.stop_after(1)
    with pytest.raises(TransientError) as info:
        ledger.post_insurance_payment(plan, journal)
    assert info.value.context["steps_done"] == [CP_FILLING]
    assert info.value.context["steps_remaining"] == [CP_BITEWINGS, "claim", "claimpayment"]
    assert "remaining" in str(info.value)
    assert journal.order == [CP_FILLING]
    assert checks(od) == 0 and ledger.find_posting(plan.external_ref) is None

    od.api.faults.clear()
    entry = ledger.post_insurance_payment(plan, journal)
    assert journal.order == [CP_FILLING, CP_BITEWINGS, "claim", "claimpayment"]
    assert successful_writes(od) == [
        ("PUT", f"/claimprocs/{Ids.CP_BEN_FILLING}"),
        ("PUT", f"/claimprocs/{Ids.CP_BEN_BITEWINGS}"),
        ("PUT", f"/claims/{Ids.CLAIM_BEN_SENT}"),
        ("POST", "/claimpayments"),
    ]
    assert checks(od) == 1 and entry.amount == D("160.00")


class StopTheApiAfter(MemoryJournal):
    """A journal that stops the API double right after recording ``step`` (a real outage)."""

    def __init__(self, od: OdContext, step: str) -> None:
        super().__init__()
        self.od, self.step = od, step

    def record(self, step: str, ids: dict[str, Any]) -> None:
        """Record, then stop the double when the trigger step is recorded."""
        super().record(step, ids)
        if step == self.step:
            self.od.api.stop()


def test_api_server_down_before_the_check(od: OdContext) -> None:
    """With the API process stopped after the claim is marked received, the claim payment
    is reported as remaining; after a restart the retry creates exactly one."""
    ledger, plan = od.ledger(), ben_claim_plan("era:down")
    journal = StopTheApiAfter(od, "claim")
    with pytest.raises(TransientError) as info:
        ledger.post_insurance_payment(plan, journal)
    assert info.value.context["steps_remaining"] == ["claimpayment"]
    assert checks(od) == 0
    od.api.start()
    ledger.post_insurance_payment(plan, journal)
    assert checks(od) == 1
    assert [p for _m, p in successful_writes(od)].count("/claimpayments") == 1


def test_check_saved_but_answer_lost(od: OdContext) -> None:
    """If Open Dental saved the claim payment but the answer was lost, the adapter finds it by
    its marker instead of creating a second one."""
    ledger, journal, plan = od.ledger(), MemoryJournal(), ben_claim_plan("era:lost")
    od.api.faults.fail(1, status=502, after_write=True, path="^/claimpayments$")
    entry = ledger.post_insurance_payment(plan, journal)
    assert checks(od) == 1
    assert [r.path for r in od.api.requests].count("/claimpayments") == 1
    assert journal.done("claimpayment") == {"ClaimPaymentNum": entry.pms_ids["ClaimPaymentNum"]}


class CrashOnRecord(MemoryJournal):
    """A journal whose process "dies" while recording ``step`` (the write already happened)."""

    def __init__(self, step_prefix: str) -> None:
        super().__init__()
        self.prefix, self.crashed = step_prefix, False

    def record(self, step: str, ids: dict[str, Any]) -> None:
        """Raise once instead of recording the trigger step."""
        if step.startswith(self.prefix) and not self.crashed:
            self.crashed = True
            raise SystemExit("simulated crash")
        super().record(step, ids)


def test_crash_after_supplemental_row_does_not_duplicate_it(od: OdContext) -> None:
    """A crash between creating a supplemental row and journaling it: the retry adopts the
    row it finds instead of creating another."""
    from adapters.base import marker_for
    from connector.domain import CheckRecord, InsurancePaymentPlan, ProcedurePayment
    from tests.adapters.opendental.helpers import DAY

    plan = InsurancePaymentPlan(
        "era:supp", marker_for("era:supp", auto=True), str(Ids.CLAIM_ANA_RECEIVED), str(Ids.ANA),
        (ProcedurePayment(str(Ids.P_ANA_EXAM), D("5.00")),), DAY,
        CheckRecord("EFT77", D("5.00"), DAY, "Delta Dental of Example"), supplemental=True,
    )  # fmt: skip
    journal, ledger = CrashOnRecord("supplemental:"), od.ledger()
    with pytest.raises(SystemExit):
        ledger.post_insurance_payment(plan, journal)
    ledger.post_insurance_payment(plan, journal)
    supplementals = count(od, "SELECT COUNT(*) FROM claimproc WHERE ClaimNum = ? AND Status = 4",
                          Ids.CLAIM_ANA_RECEIVED)  # fmt: skip
    assert supplementals == 1
    assert [r.path for r in od.api.requests].count("/claimprocs/Supplemental") == 1


HIDE = "UPDATE definition SET IsHidden = ? WHERE DefNum = ?"


def _reversal_plan() -> Any:
    from adapters.base import marker_for
    from connector.domain import CheckRecord, InsurancePaymentPlan, ProcedurePayment
    from tests.adapters.opendental.helpers import DAY

    return InsurancePaymentPlan(
        "era:rev", marker_for("era:rev", auto=True), str(Ids.CLAIM_ANA_RECEIVED), str(Ids.ANA),
        (ProcedurePayment(str(Ids.P_ANA_EXAM), D("-40.00"), writeoff=D("-10.00")),), DAY,
        CheckRecord("EFT78", D("-40.00"), DAY, "Delta Dental of Example"), supplemental=True,
    )  # fmt: skip


def test_reversal_taking_back_a_writeoff_is_a_plus_adjustment(od: OdContext) -> None:
    """A supplemental reversal with a negative write-off: the negative paid on a Supplemental
    row, and the write-off taken back as one '+' Write-off Reversal adjustment on the procedure
    (POST /adjustments), marked, found again instead of repeated after a crash."""
    plan = _reversal_plan()
    journal = CrashOnRecord("writeoff_reversal:")
    with pytest.raises(SystemExit):
        od.ledger().post_insurance_payment(plan, journal)
    od.ledger().post_insurance_payment(plan, journal)
    rows = od.db.rows(
        "SELECT AdjType, CAST(AdjAmt AS DECIMAL(14,2)), ProcNum, PatNum, AdjNote FROM adjustment "
        "WHERE AdjType = ?",
        Ids.ADJ_WRITEOFF_REVERSAL,
    )
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (Ids.ADJ_WRITEOFF_REVERSAL, D("10.00"), Ids.P_ANA_EXAM, Ids.ANA)
    ]
    assert str(rows[0][4]).startswith(plan.marker) and "write-off reversal" in str(rows[0][4])
    assert [r.path for r in od.api.requests].count("/adjustments") == 1
    supplemental = od.db.rows(
        "SELECT CAST(InsPayAmt AS DECIMAL(14,2)), CAST(WriteOff AS DECIMAL(14,2)) FROM claimproc "
        "WHERE ClaimNum = ? AND Status = 4",
        Ids.CLAIM_ANA_RECEIVED,
    )
    assert [tuple(r) for r in supplemental] == [(D("-40.00"), D("0.00"))]


def test_reversal_taking_back_a_writeoff_without_the_type_goes_to_a_person(
    od: OdContext,
) -> None:
    """Without a visible '+' Write-off Reversal adjustment type the reversal is refused before
    any write, as a data problem (review) naming the type to create, so the claim is never left
    half reversed."""
    from connector.errors import DataError

    conn = od.db.admin()
    try:
        cur = conn.cursor()
        cur.execute(
            "UPDATE definition SET IsHidden = 1 WHERE DefNum = ?", Ids.ADJ_WRITEOFF_REVERSAL
        )
        conn.commit()
        before = len(od.api.requests)
        with pytest.raises(DataError) as info:
            od.ledger().post_insurance_payment(_reversal_plan(), MemoryJournal())
    finally:
        cur.execute(
            "UPDATE definition SET IsHidden = 0 WHERE DefNum = ?", Ids.ADJ_WRITEOFF_REVERSAL
        )
        conn.commit()
        conn.close()
    assert info.value.code == "writeoff_reversal_unsupported"
    assert (
        "Write-off Reversal" in info.value.message and "Nothing was written" in info.value.message
    )
    assert len(od.api.requests) == before
