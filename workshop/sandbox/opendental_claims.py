"""Claimprocs, claims and claim payments endpoints of the Open Dental API double."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.money import ZERO
from workshop.emulated.opendental.crud_rows import EMPTY_DATE, insert_row
from workshop.sandbox.opendental_checks import attach_claimproc, insert_check
from workshop.sandbox.opendental_common import (
    ApiFault,
    bad,
    date_field,
    db_now,
    int_field,
    local_today,
    money_field,
    office_has,
    pref,
    require,
    row_dict,
    text,
)

STATUS_NAMES = {0: "NotReceived", 1: "Received", 2: "Preauth", 3: "Adjustment",
                4: "Supplemental", 5: "CapClaim", 6: "Estimate", 7: "CapComplete",
                8: "CapEstimate", 9: "InsHist"}  # fmt: skip
SETTABLE = {"NotReceived": 0, "Received": 1, "Preauth": 2, "Supplemental": 4, "Estimate": 6}
NOT_EDITABLE = (3, 5, 7, 8, 9)
SERVER_SET = ("ClaimProcNum", "SecDateTEdit")  # the new key and MySQL's timestamp
CLAIM_STATUSES = ("U", "H", "W", "S", "R")
AMOUNTS = ("FeeBilled", "InsPayEst", "DedApplied", "InsPayAmt", "WriteOff")
CLAIMPROC_SQL = (
    "SELECT cp.*, CAST(cp.FeeBilled AS DECIMAL(14,2)) AS dFeeBilled, "
    "CAST(cp.InsPayEst AS DECIMAL(14,2)) AS dInsPayEst, "
    "CAST(cp.DedApplied AS DECIMAL(14,2)) AS dDedApplied, "
    "CAST(cp.InsPayAmt AS DECIMAL(14,2)) AS dInsPayAmt, "
    "CAST(cp.WriteOff AS DECIMAL(14,2)) AS dWriteOff "
    "FROM claimproc cp WHERE cp.ClaimProcNum = ?"
)
RECOMPUTE_SQL = (
    "UPDATE claim c SET "
    "InsPayAmt = (SELECT COALESCE(SUM(InsPayAmt), 0) FROM claimproc WHERE ClaimNum = ?), "
    "DedApplied = (SELECT COALESCE(SUM(DedApplied), 0) FROM claimproc WHERE ClaimNum = ?), "
    "WriteOff = (SELECT COALESCE(SUM(WriteOff), 0) FROM claimproc WHERE ClaimNum = ?) "
    "WHERE c.ClaimNum = ?"
)


def _claimproc(cur: Any, num: int) -> dict[str, Any]:
    cur.execute(CLAIMPROC_SQL, num)
    row = cur.fetchone()
    if row is None:
        raise ApiFault(404, "ClaimProc not found.")
    return row_dict(cur, row)


def claimproc_json(cur: Any, num: int) -> dict[str, Any]:
    """A claimproc as the API shows it (amounts as strings here; Open Dental sends numbers)."""
    row = _claimproc(cur, num)
    out = {k: row[k] for k in ("ClaimProcNum", "ProcNum", "ClaimNum", "PatNum", "ProvNum",
                               "ClaimPaymentNum", "PlanNum", "Remarks", "CodeSent")}  # fmt: skip
    out.update({a: text(row[f"d{a}"]) for a in AMOUNTS})
    out.update({
        "Status": STATUS_NAMES[int(row["Status"])], "DateCP": text(row["DateCP"]),
        "ProcDate": text(row["ProcDate"]), "DateEntry": text(row["DateEntry"]),
        "DateSuppReceived": text(row["DateSuppReceived"]),
        "DateInsFinalized": text(row["DateInsFinalized"]),
        "IsTransfer": "true" if row["IsTransfer"] else "false",
    })  # fmt: skip
    return out


def _recompute_claim(cur: Any, claim_num: int) -> None:
    """claim.InsPayAmt/DedApplied/WriteOff = sums over its claimprocs (Open Dental does this)."""
    if not claim_num:
        return
    cur.execute(RECOMPUTE_SQL, claim_num, claim_num, claim_num, claim_num)


def update_claimproc(cur: Any, num: int, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``PUT /claimprocs/{ClaimProcNum}``: status and amounts, then the claim's totals."""
    row = _claimproc(cur, num)
    status = int(row["Status"])
    if row["IsTransfer"] or status in NOT_EDITABLE:
        raise bad(f"Cannot update a ClaimProc with a Status of {STATUS_NAMES[status]}.")
    changes: dict[str, Any] = {}
    today = local_today()
    if "Status" in body:
        name = str(body["Status"])
        if name not in SETTABLE:
            raise bad("Status is invalid.")
        changes["Status"] = SETTABLE[name]
        if name in ("Received", "Supplemental"):
            changes.update({"DateEntry": today, "DateSuppReceived": today})
            if not int(row["ClaimPaymentNum"]):
                changes["DateCP"] = today
    for field in ("InsPayAmt", "DedApplied", "WriteOff", "FeeBilled"):
        amount = money_field(body, field)
        if amount is None:
            continue
        if field == "WriteOff" and amount < ZERO:
            raise bad("WriteOff cannot be negative.")
        if field == "InsPayAmt" and int(row["ClaimPaymentNum"]) and amount != row["dInsPayAmt"]:
            raise bad("InsPayAmt cannot be updated once the procedure is attached to a check.")
        changes[field] = amount
    if "Remarks" in body:
        changes["Remarks"] = str(body["Remarks"] or "")[:255]
    if "ClaimAdjReasonCodes" in body:  # [3P] listed as not writable: unverified (see docs)
        changes["ClaimAdjReasonCodes"] = str(body["ClaimAdjReasonCodes"] or "")[:255]
    allowed = money_field(body, "AllowedOverride")
    if allowed is not None:
        if allowed < ZERO and allowed != Decimal(-1):
            raise bad("AllowedOverride must be -1 (blank) or not negative.")
        changes["AllowedOverride"] = allowed
    if "ClaimPaymentNum" in body and office_has(cur, "claimproc_attach"):
        # below 24.3.24 the field is not known and (like any unknown field) ignored [unverified]
        changes.update(attach_claimproc(cur, row, body))
    if changes:
        assignments = ", ".join(f"{name} = ?" for name in changes)
        cur.execute(
            f"UPDATE claimproc SET {assignments} WHERE ClaimProcNum = ?",  # noqa: S608 - column names come from our code; values are ? placeholders
            *changes.values(),
            num,
        )
        _recompute_claim(cur, int(row["ClaimNum"]))
    return 200, claimproc_json(cur, num)


def create_supplemental(cur: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``POST /claimprocs/Supplemental``: a Supplemental copy of a received claimproc."""
    require(cur, "supplemental")
    num = int_field(body, "ClaimProcNum", required=True)
    assert num is not None
    row = _claimproc(cur, num)
    if int(row["Status"]) != 1:
        raise bad("ClaimProc must have a Status of Received.")
    paid = money_field(body, "InsPayAmt") or ZERO
    today = local_today()
    # Open Dental copies the received claimproc (ClaimProcs.CreateSuppClaimProcs: Copy(), then
    # a fresh status, amounts and dates); every column of the copy is written.
    copy = {k: v for k, v in row.items() if not k.startswith("d") and k not in SERVER_SET}
    copy.update({
        "Status": 4, "InsPayAmt": paid, "DedApplied": ZERO, "WriteOff": ZERO, "InsPayEst": ZERO,
        "ClaimPaymentNum": 0, "Remarks": "", "ClaimAdjReasonCodes": "", "DateEntry": today,
        "DateCP": today, "DateSuppReceived": today, "DateInsFinalized": EMPTY_DATE,
        "SecDateEntry": db_now(cur).date(), "SecUserNumEntry": 0, "PaymentRow": 0,
        "SecurityHash": "", "IsOverpay": 0, "FeeBilled": ZERO,
    })  # fmt: skip
    new = insert_row(cur, "claimproc", copy)
    _recompute_claim(cur, int(row["ClaimNum"]))
    return 201, claimproc_json(cur, new)


def _claim(cur: Any, num: int) -> dict[str, Any]:
    cur.execute("SELECT * FROM claim WHERE ClaimNum = ?", num)
    row = cur.fetchone()
    if row is None:
        raise ApiFault(404, "Claim not found.")
    return row_dict(cur, row)


def update_claim(cur: Any, num: int, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``PUT /claims/{ClaimNum}``: ClaimStatus, DateReceived, ReasonUnderPaid."""
    _claim(cur, num)
    changes: dict[str, Any] = {}
    if "ClaimStatus" in body:
        status = str(body["ClaimStatus"])
        if status not in CLAIM_STATUSES:
            raise bad("ClaimStatus is invalid.")
        changes["ClaimStatus"] = status
    received = date_field(body, "DateReceived")
    if received is not None:
        changes["DateReceived"] = received
    if "ReasonUnderPaid" in body:
        changes["ReasonUnderPaid"] = str(body["ReasonUnderPaid"] or "")[:255]
    if changes:
        assignments = ", ".join(f"{name} = ?" for name in changes)
        cur.execute(
            f"UPDATE claim SET {assignments} WHERE ClaimNum = ?",  # noqa: S608 - fixed names
            *changes.values(),
            num,
        )
    claim = _claim(cur, num)
    return 200, {
        "ClaimNum": num, "PatNum": int(claim["PatNum"]), "ClaimStatus": claim["ClaimStatus"],
        "DateService": text(claim["DateService"]), "DateReceived": text(claim["DateReceived"]),
        "ClaimType": claim["ClaimType"], "PlanNum": int(claim["PlanNum"]),
    }  # fmt: skip


def create_claimpayment(cur: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``POST /claimpayments``: one claim; CheckAmt must equal its unattached InsPayAmt."""
    claim_num = int_field(body, "claimNum", required=True)
    amount = money_field(body, "CheckAmt", required=True)
    assert claim_num is not None and amount is not None
    if pref(cur, "ClaimPaymentBatchOnly") == "1":
        raise bad("ClaimPayments can only be made in batches for this office.")
    claim = _claim(cur, claim_num)
    cur.execute(
        "SELECT ClaimProcNum, CAST(InsPayAmt AS DECIMAL(14,2)) FROM claimproc "
        "WHERE ClaimNum = ? AND ClaimPaymentNum = 0 AND Status IN (1, 4) AND IsTransfer = 0",
        claim_num,
    )
    attachable = cur.fetchall()
    if not attachable:
        raise bad("There are no received ClaimProcs without a ClaimPayment on this claim.")
    expected = sum((Decimal(r[1]) for r in attachable), ZERO)
    if expected != amount:
        raise bad(f"CheckAmt must match the total of the ClaimProcs' InsPayAmt: {expected:.2f}.")
    return 201, insert_check(cur, body, amount, claim, [claim_num], partial=False)
