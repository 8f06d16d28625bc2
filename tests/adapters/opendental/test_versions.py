"""Version gates: an office on Open Dental 24.3.10 lacks refunds, explicit allocation, attaching
to a check and supplemental payments. check-config names them; such items go to review before
anything is written; an endpoint missing mid-posting leaves a review that names what is left."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.base import marker_for
from connector.cli import main
from connector.domain import PatientPaymentPlan, ReversalPlan
from connector.errors import DataError
from tests.adapters.opendental.helpers import DAY, ben_claim_plan, count, plan, proc_split
from tests.support.configs import od_practice, write_config
from tests.support.journal import MemoryJournal
from tests.support.opendental import CUSTOMER_KEY, DEVELOPER_KEY, OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service
D = Decimal
PAYMENTS = "SELECT COUNT(*) FROM payment"


@contextmanager
def office_version(od: OdContext, version: str) -> Iterator[None]:
    """Pretend the office runs ``version`` (pref DataBaseVersion) for the test."""
    conn = od.db.admin()
    old = od.db.rows("SELECT ValueString FROM preference WHERE PrefName = 'DataBaseVersion'")
    try:
        conn.cursor().execute(
            "UPDATE preference SET ValueString = ? WHERE PrefName = 'DataBaseVersion'", version
        )
        yield
    finally:
        conn.cursor().execute(
            "UPDATE preference SET ValueString = ? WHERE PrefName = 'DataBaseVersion'", old[0][0]
        )
        conn.close()


def explicit_plan(key: str = "txn_explicit") -> PatientPaymentPlan:
    """$17 as 2.00 on Ana's exam and 15.00 on her prophy: neither Open Dental's FIFO nor its
    procNums FIFO (12 + 5), so only …/Partial can write it."""
    return plan(
        key,
        "17.00",
        proc_split("2.00", Ids.P_ANA_EXAM, Ids.ANA, Ids.DOC1),
        proc_split("15.00", Ids.P_ANA_PROPHY, Ids.ANA, Ids.HYG1),
    )


def test_check_config_names_what_the_office_version_lacks(
    od: OdContext,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On 24.3.10.0 check-config still passes, and lists each missing endpoint with its
    version and what happens instead; on 25.2.15.0 it lists only deposits (25.4.33)."""
    monkeypatch.setenv("TEST_OD_DEV", DEVELOPER_KEY)
    monkeypatch.setenv("TEST_OD_CUST", CUSTOMER_KEY)
    monkeypatch.setenv("TEST_OD_ODBC", od.db.users.read_only)
    practice = od_practice("riverside")
    practice["pms"]["api"]["base_url"] = od.api.base_url  # type: ignore[index]
    path = write_config(tmp_path, [practice])
    with office_version(od, "24.3.10.0"):
        assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ok: opendental 24.3.10.0" in out
    limited = [line for line in out.splitlines() if "features" in line]
    assert any("POST /payments/Refund needs Open Dental 24.4.28" in line for line in limited)
    assert any("/Partial needs Open Dental 25.1.11" in line for line in limited)
    assert any("Supplemental needs Open Dental 25.2.7" in line for line in limited)
    assert any("ClaimPaymentNum needs Open Dental 24.3.24" in line for line in limited)
    assert all("ok, limited" in line for line in limited)
    assert main(["check-config", str(path)]) == 0
    rest = [line for line in capsys.readouterr().out.splitlines() if "features" in line]
    assert all("POST /deposits needs Open Dental 25.4.33" in line for line in rest)  # newer


def test_unavailable_features_go_to_review_before_any_write(od: OdContext) -> None:
    """Explicit allocation, a full refund and supplemental insurance money on 24.3.10:
    DataError feature_unavailable naming the endpoint and version; nothing is written."""
    posted = od.ledger().post_patient_payment(
        plan(
            "txn_fifo",
            "22.00",
            proc_split("22.00", Ids.P_DAN_PANO, Ids.DAN, Ids.DOC1),
            patient=Ids.DAN,
        )
    )  # FIFO: always there
    before = (count(od, PAYMENTS), count(od, "SELECT COUNT(*) FROM claimproc"))
    refund = ReversalPlan("re_1", marker_for("re_1"), "txn_fifo", posted.pms_ids, str(Ids.DAN),
                          D("22.00"), DAY, "refund")  # fmt: skip
    sent = len(od.api.requests)
    supplemental = dataclasses.replace(ben_claim_plan(), supplemental=True)
    with office_version(od, "24.3.10.0"):
        for action, needs in (
            (lambda: od.ledger().post_patient_payment(explicit_plan()), "25.1.11"),
            (lambda: od.ledger().post_reversal(refund), "24.4.28"),
            (lambda: od.ledger().post_insurance_payment(supplemental, MemoryJournal()), "25.2.7"),
        ):
            with pytest.raises(DataError) as info:
                action()
            assert info.value.code == "feature_unavailable"
            assert f"since {needs}" in info.value.message and "nothing was written" in (
                info.value.message
            )
    assert (count(od, PAYMENTS), count(od, "SELECT COUNT(*) FROM claimproc")) == before
    assert [r.method for r in od.api.requests[sent:] if r.method != "GET"] == []


def test_endpoint_missing_mid_posting_names_what_is_left(od: OdContext) -> None:
    """The office says 25.2.15 but …/Partial answers 404: the review names the prepayment
    left in Open Dental and the splits to enter; posting again finishes it, never twice."""
    od.api.faults.fail(count=2, status=404, method="PUT", path=r"/Partial$")
    with pytest.raises(DataError) as info:
        od.ledger().post_patient_payment(explicit_plan())
    exc = info.value
    pay_num = exc.context["PayNum"]
    assert exc.code == "allocation_unfinished"
    assert f"prepayment PayNum {pay_num}" in exc.message and "do not enter it again" in exc.message
    assert f"procedure {Ids.P_ANA_PROPHY}: 15.00" in exc.message
    assert count(od, "SELECT COUNT(*) FROM payment WHERE PayNum = ?", pay_num) == 1
    assert od.ledger().find_posting("txn_explicit") is None  # not complete: not "posted"
    od.api.faults.clear()
    entry = od.ledger().post_patient_payment(explicit_plan())
    assert entry.pms_ids["PayNum"] == pay_num and entry.already_existed
    assert count(od, "SELECT COUNT(*) FROM paysplit WHERE PayNum = ? AND ProcNum = ?",
                 pay_num, Ids.P_ANA_PROPHY) == 1  # fmt: skip
