"""The Open Dental API double follows Open Dental's documented rules (tested over real HTTP)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.support.opendental import CUSTOMER_KEY, DEVELOPER_KEY, OdContext
from workshop.emulated.opendental.seed import Ids
from workshop.sandbox.opendental_api import POISON

pytestmark = pytest.mark.external_service
D = Decimal
AUTH = {"Authorization": f"ODFHIR {DEVELOPER_KEY}/{CUSTOMER_KEY}"}


def call(od: OdContext, method: str, path: str, body: Any = None,
         headers: dict[str, str] | None = None) -> requests.Response:  # fmt: skip
    """Send one request to the double."""
    return requests.request(method, f"{od.api.base_url}/{path}", data=json.dumps(body or {}),
                            headers=AUTH if headers is None else headers, timeout=10)  # fmt: skip


def splits(od: OdContext, pay_num: int) -> list[tuple[Any, ...]]:
    """(ProcNum, AdjNum, UnearnedType, PatNum, ProvNum, SplitAmt) of a payment, in order."""
    return [
        tuple(r)
        for r in od.db.rows(
            "SELECT ProcNum, AdjNum, UnearnedType, PatNum, ProvNum, "
            "CAST(SplitAmt AS DECIMAL(14,2)) FROM paysplit WHERE PayNum = ? ORDER BY SplitNum",
            pay_num,
        )
    ]


def pay(od: OdContext, **body: Any) -> requests.Response:
    """POST /payments."""
    return call(od, "POST", "payments", body)


def test_rejects_missing_or_wrong_keys(od: OdContext) -> None:
    """Requests without the right ODFHIR developer/customer keys get 401 and write nothing."""
    body = {"PayAmt": "10.00", "PatNum": Ids.ANA}
    assert call(od, "POST", "payments", body, headers={}).status_code == 401
    wrong = {"Authorization": f"ODFHIR {DEVELOPER_KEY}/nope"}
    assert call(od, "POST", "payments", body, headers=wrong).status_code == 401
    assert od.db.rows("SELECT COUNT(*) FROM payment")[0][0] == 3


def test_payment_auto_splits_fifo_over_the_family(od: OdContext) -> None:
    """Oldest charges of the whole family first, procedures before the same-day adjustment,
    each split on the charge's patient and provider."""
    resp = pay(od, PayAmt="80.00", PatNum=Ids.ANA, PayDate="2026-01-05")
    assert resp.status_code == 201
    body = resp.json()
    assert body["PayAmt"] == "80.00" and body["PaymentSource"] == "API"
    assert splits(od, body["PayNum"]) == [
        (Ids.P_ANA_EXAM, 0, 0, Ids.ANA, Ids.DOC1, D("12.00")),
        (Ids.P_ANA_PROPHY, 0, 0, Ids.ANA, Ids.HYG1, D("15.00")),
        (0, Ids.A_ANA_FINANCE, 0, Ids.ANA, Ids.DOC1, D("25.00")),
        (Ids.P_BEN_FILLING, 0, 0, Ids.BEN, Ids.DOC2, D("28.00")),
    ]


def test_overpayment_remainder_is_unearned(od: OdContext) -> None:
    """What no open charge takes becomes one unearned split of the prepayment type, provider 0."""
    resp = pay(od, PayAmt="300.00", PatNum=Ids.DAN, PayType=Ids.PAY_CARD)
    got = splits(od, resp.json()["PayNum"])
    assert got[-1] == (0, 0, Ids.UNEARNED_PREPAY, Ids.DAN, 0, D("38.00"))
    assert sum(s[5] for s in got) == D("300.00")


def test_prepayment_is_one_unearned_split(od: OdContext) -> None:
    """isPrepayment makes a single unearned split whatever the family owes."""
    resp = pay(od, PayAmt="25.00", PatNum=Ids.BEN, isPrepayment="true")
    assert splits(od, resp.json()["PayNum"]) == [
        (0, 0, Ids.UNEARNED_PREPAY, Ids.BEN, 0, D("25.00"))
    ]


def test_proc_nums_limit_the_fifo(od: OdContext) -> None:
    """procNums restricts the split to those procedures, by date; others in the family wait."""
    resp = pay(od, PayAmt="70.00", PatNum=Ids.ANA, procNums=[Ids.P_ANA_CROWN, Ids.P_CLEO_PROPHY])
    assert splits(od, resp.json()["PayNum"]) == [
        (Ids.P_CLEO_PROPHY, 0, 0, Ids.CLEO, Ids.HYG1, D("60.00")),
        (Ids.P_ANA_CROWN, 0, 0, Ids.ANA, Ids.DOC1, D("10.00")),
    ]


def test_patient_preferred_pays_the_patient_first(od: OdContext) -> None:
    """isPatientPreferred puts the paying patient's own charges first."""
    resp = pay(od, PayAmt="20.00", PatNum=Ids.CLEO, isPatientPreferred="true")
    assert splits(od, resp.json()["PayNum"]) == [
        (Ids.P_CLEO_PROPHY, 0, 0, Ids.CLEO, Ids.HYG1, D("20.00"))
    ]


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        ({"PatNum": Ids.ANA}, 400, "PayAmt is required."),
        ({"PayAmt": "abc", "PatNum": Ids.ANA}, 400, "PayAmt is invalid."),
        ({"PayAmt": "5.00"}, 400, "PatNum is required."),
        ({"PayAmt": "5.00", "PatNum": 999}, 404, "Patient not found."),
        ({"PayAmt": "5.00", "PatNum": Ids.ANA, "PayType": Ids.PAY_OLD_HIDDEN}, 400, "hidden"),
        ({"PayAmt": "5.00", "PatNum": Ids.ANA, "PayType": Ids.COMM_FIN}, 400, "PayType"),
        ({"PayAmt": "5.00", "PatNum": Ids.ANA, "PayDate": "2999-01-01"}, 400, "future"),
        ({"PayAmt": "-5.00", "PatNum": Ids.ANA}, 400, "Negative"),
    ],
)
def test_bad_payment_requests_get_plain_text_errors(
    od: OdContext, body: dict[str, Any], status: int, text: str
) -> None:
    """Invalid payments are refused with Open Dental-style plain-text explanations."""
    resp = pay(od, **body)
    assert resp.status_code == status
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert text in resp.text
    assert od.db.rows("SELECT COUNT(*) FROM payment")[0][0] == 3


def test_partial_replaces_splits_with_explicit_amounts(od: OdContext) -> None:
    """PUT Partial deletes the splits and writes exactly the given procedure amounts."""
    pay_num = pay(od, PayAmt="50.00", PatNum=Ids.ANA, isPrepayment="true").json()["PayNum"]
    resp = call(od, "PUT", f"payments/{pay_num}/Partial", {"procNumsAndAmounts": [
        {"ProcNum": Ids.P_ANA_CROWN, "Amount": "45.00"},
        {"ProcNum": Ids.P_BEN_BITEWINGS, "Amount": 5}]})  # fmt: skip
    assert resp.status_code == 200
    assert splits(od, pay_num) == [
        (Ids.P_ANA_CROWN, 0, 0, Ids.ANA, Ids.DOC1, D("45.00")),
        (Ids.P_BEN_BITEWINGS, 0, 0, Ids.BEN, Ids.DOC2, D("5.00")),
    ]


@pytest.mark.parametrize(
    ("pairs", "text"),
    [
        ([{"ProcNum": Ids.P_ANA_CROWN, "Amount": "49.00"}], "sum of all Amounts"),
        ([{"ProcNum": Ids.P_DAN_SRP, "Amount": "50.00"}], "family member"),
        ([{"ProcNum": Ids.P_ANA_PLANNED, "Amount": "50.00"}], "family member"),
        ([], "required"),
    ],
)
def test_partial_refuses_bad_allocations(od: OdContext, pairs: list[Any], text: str) -> None:
    """Amounts that miss PayAmt, or procedures outside the family or not complete, get 400."""
    pay_num = pay(od, PayAmt="50.00", PatNum=Ids.ANA, isPrepayment="true").json()["PayNum"]
    resp = call(od, "PUT", f"payments/{pay_num}/Partial", {"procNumsAndAmounts": pairs})
    assert resp.status_code == 400 and text in resp.text
    assert splits(od, pay_num) == [(0, 0, Ids.UNEARNED_PREPAY, Ids.ANA, 0, D("50.00"))]


def test_refund_copies_the_payment_negated_once(od: OdContext) -> None:
    """Refund makes a negative payment with negated splits; a refund cannot be refunded."""
    original = pay(od, PayAmt="27.00", PatNum=Ids.ANA, PayNote="note").json()
    resp = call(od, "POST", "payments/Refund", {"PayNum": original["PayNum"]})
    assert resp.status_code == 201
    refund = resp.json()
    assert refund["PayAmt"] == "-27.00" and refund["PayNote"] == "note"
    assert [s[5] for s in splits(od, refund["PayNum"])] == [D("-12.00"), D("-15.00")]
    again = call(od, "POST", "payments/Refund", {"PayNum": refund["PayNum"]})
    assert again.status_code == 400 and "negative paysplits" in again.text
    assert call(od, "POST", "payments/Refund", {"PayNum": 99999}).status_code == 404


def test_commlog_defaults_and_validation(od: OdContext) -> None:
    """A commlog needs PatNum and Note; it defaults to the Misc type, Phone, Sent."""
    resp = call(od, "POST", "commlogs", {"PatNum": Ids.ANA, "Note": "hello"})
    assert resp.status_code == 201
    row = od.db.rows("SELECT CommType, Mode_, SentOrReceived FROM commlog WHERE CommlogNum = ?",
                     resp.json()["CommlogNum"])[0]  # fmt: skip
    assert tuple(row) == (Ids.COMM_MISC, 3, 1)
    assert call(od, "POST", "commlogs", {"PatNum": Ids.ANA}).status_code == 400
    bad_mode = {"PatNum": Ids.ANA, "Note": "x", "Mode_": "Pigeon"}
    assert call(od, "POST", "commlogs", bad_mode).status_code == 400


def test_receiving_claimprocs_updates_the_claim_totals(od: OdContext) -> None:
    """PUT claimprocs sets Received with dates and amounts, and the claim's totals follow."""
    body = {"Status": "Received", "InsPayAmt": "110.00", "DedApplied": "15", "WriteOff": "25"}
    resp = call(od, "PUT", f"claimprocs/{Ids.CP_BEN_FILLING}", body)
    assert resp.status_code == 200 and resp.json()["Status"] == "Received"
    row = od.db.rows(
        "SELECT Status, DateEntry <> '0001-01-01', DateCP <> '0001-01-01' FROM claimproc "
        "WHERE ClaimProcNum = ?", Ids.CP_BEN_FILLING)[0]  # fmt: skip
    assert tuple(row) == (1, 1, 1)
    claim = od.db.rows("SELECT CAST(InsPayAmt AS DECIMAL(14,2)), CAST(WriteOff AS DECIMAL(14,2)),"
                       " CAST(DedApplied AS DECIMAL(14,2)) FROM claim WHERE ClaimNum = ?",
                       Ids.CLAIM_BEN_SENT)[0]  # fmt: skip
    assert tuple(claim) == (D("110.00"), D("30.00"), D("15.00"))


def test_claimproc_rules(od: OdContext) -> None:
    """Paid amounts on a check cannot change; bad statuses are refused; unknown ids are 404."""
    attached = call(od, "PUT", "claimprocs/1", {"InsPayAmt": "1.00"})
    assert attached.status_code == 400 and "attached to a check" in attached.text
    assert call(od, "PUT", "claimprocs/3", {"Status": "Bogus"}).status_code == 400
    assert call(od, "PUT", "claimprocs/9999", {"Status": "Received"}).status_code == 404
    supp = call(od, "POST", "claimprocs/Supplemental", {"ClaimProcNum": Ids.CP_BEN_FILLING})
    assert supp.status_code == 400 and "Received" in supp.text


def test_claim_payment_must_match_received_amounts(od: OdContext) -> None:
    """CheckAmt must equal the unattached received InsPayAmt; then claimprocs attach to it."""
    for num, paid in ((Ids.CP_BEN_FILLING, "110.00"), (Ids.CP_BEN_BITEWINGS, "50.00")):
        call(od, "PUT", f"claimprocs/{num}", {"Status": "Received", "InsPayAmt": paid})
    wrong = call(od, "POST", "claimpayments", {"claimNum": Ids.CLAIM_BEN_SENT, "CheckAmt": "150"})
    assert wrong.status_code == 400 and "160.00" in wrong.text
    ok = call(od, "POST", "claimpayments", {"claimNum": Ids.CLAIM_BEN_SENT, "CheckAmt": "160.00",
                                             "CheckNum": "EFT1", "Note": "n"})  # fmt: skip
    assert ok.status_code == 201 and ok.json()["CarrierName"] == "Delta Dental of Example"
    num = ok.json()["ClaimPaymentNum"]
    attached = od.db.rows("SELECT COUNT(*) FROM claimproc WHERE ClaimPaymentNum = ?", num)
    assert attached[0][0] == 2
    nothing = call(od, "POST", "claimpayments", {"claimNum": Ids.CLAIM_BEN_SENT, "CheckAmt": "0"})
    assert nothing.status_code == 400


def test_batch_only_office_refuses_single_claim_payments(od: OdContext) -> None:
    """With pref ClaimPaymentBatchOnly on, POST /claimpayments is refused."""
    conn = od.db.admin()
    try:
        conn.cursor().execute(
            "UPDATE preference SET ValueString = '1' WHERE PrefName = 'ClaimPaymentBatchOnly'"
        )
        resp = call(od, "POST", "claimpayments", {"claimNum": Ids.CLAIM_BEN_SENT,
                                                  "CheckAmt": "1"})  # fmt: skip
        assert resp.status_code == 400 and "batches" in resp.text
    finally:
        conn.cursor().execute(
            "UPDATE preference SET ValueString = '0' WHERE PrefName = 'ClaimPaymentBatchOnly'"
        )
        conn.close()


def test_claim_status_update(od: OdContext) -> None:
    """PUT claims sets status R and the received date; unknown letters are refused."""
    resp = call(od, "PUT", f"claims/{Ids.CLAIM_BEN_SENT}",
                {"ClaimStatus": "R", "DateReceived": "2026-01-05"})  # fmt: skip
    assert resp.json()["ClaimStatus"] == "R" and resp.json()["DateReceived"] == "2026-01-05"
    assert call(od, "PUT", f"claims/{Ids.CLAIM_BEN_SENT}", {"ClaimStatus": "Z"}).status_code == 400
    assert call(od, "PUT", "claims/999", {"ClaimStatus": "R"}).status_code == 404


def test_faults_fail_drop_and_write_first(od: OdContext) -> None:
    """Injected faults answer 5xx, drop the connection, or fail after the write happened."""
    od.api.faults.fail(1, status=500)
    assert pay(od, PayAmt="5.00", PatNum=Ids.ANA).status_code == 500
    assert pay(od, PayAmt="5.00", PatNum=Ids.ANA).status_code == 201
    od.api.faults.drop(1)
    with pytest.raises(requests.ConnectionError):
        pay(od, PayAmt="5.00", PatNum=Ids.ANA)
    od.api.faults.fail(1, status=502, after_write=True, path="^/payments$")
    assert pay(od, PayAmt="6.00", PatNum=Ids.ANA, PayNote="late").status_code == 502
    assert od.db.rows("SELECT COUNT(*) FROM payment WHERE PayNote = 'late'")[0][0] == 1
    assert call(od, "GET", "payments").status_code == 404


def test_preferences_get_is_the_one_read_endpoint(od: OdContext) -> None:
    """GET /preferences?PrefName= answers Open Dental's list of matching preferences (empty for
    an unknown name), needs the keys like any request, and writes nothing."""
    resp = requests.get(f"{od.api.base_url}/preferences", params={"PrefName": "DataBaseVersion"},
                        headers=AUTH, timeout=10)  # fmt: skip
    assert resp.status_code == 200
    sql = "SELECT ValueString FROM preference WHERE PrefName = 'DataBaseVersion'"
    ((found,),) = od.db.rows(sql)
    assert [(p["PrefName"], p["ValueString"]) for p in resp.json()] == [("DataBaseVersion", found)]
    unknown = requests.get(f"{od.api.base_url}/preferences?PrefName=NoSuchPref", headers=AUTH,
                           timeout=10)  # fmt: skip
    assert unknown.status_code == 200 and unknown.json() == []
    assert requests.get(f"{od.api.base_url}/preferences", timeout=10).status_code == 401


def test_a_body_fault_chokes_on_one_payload_only(od: OdContext) -> None:
    """A fault with ``body`` answers 5xx to every request whose body matches (a poison
    payload) and lets every other request through, however many come."""
    od.api.faults.fail(POISON, status=500, method="POST", path="^/payments$", body="poison-note")
    for _ in range(3):
        assert pay(od, PayAmt="5.00", PatNum=Ids.ANA, PayNote="poison-note").status_code == 500
        assert pay(od, PayAmt="5.00", PatNum=Ids.ANA, PayNote="fine").status_code == 201
    assert call(od, "GET", "preferences?PrefName=DataBaseVersion").status_code == 200
    assert od.db.rows("SELECT COUNT(*) FROM payment WHERE PayNote = 'poison-note'")[0][0] == 0
    assert od.db.rows("SELECT COUNT(*) FROM payment WHERE PayNote = 'fine'")[0][0] == 3


def test_stop_and_start_on_the_same_port(od: OdContext) -> None:
    """A stopped double refuses connections; started again it answers on the same URL."""
    url = od.api.base_url
    od.api.stop()
    with pytest.raises(requests.ConnectionError):
        pay(od, PayAmt="5.00", PatNum=Ids.ANA)
    od.api.start()
    assert od.api.base_url == url
    assert pay(od, PayAmt="5.00", PatNum=Ids.ANA).status_code == 201
