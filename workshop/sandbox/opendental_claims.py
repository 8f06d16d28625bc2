"""Claimprocs, claims and claim payments endpoints of the Open Dental API double."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from connector.money import ZERO
from workshop.sandbox.opendental_common import (
    ApiFault,
    bad,
    date_field,
    definition,
    int_field,
    local_today,
    money_field,
    pref,
    row_dict,
    text,
)

STATUS_NAMES = {0: "NotReceived", 1: "Received", 2: "Preauth", 3: "Adjustment",
                4: "Supplemental", 5: "CapClaim", 6: "Estimate", 7: "CapComplete",
                8: "CapEstimate", 9: "InsHist"}  # fmt: skip
SETTABLE = {"NotReceived": 0, "Received": 1, "Preauth": 2, "Supplemental": 4, "Estimate": 6}
NOT_EDITABLE = (3, 5, 7, 8, 9)
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
    num = int_field(body, "ClaimProcNum", required=True)
    assert num is not None
    row = _claimproc(cur, num)
    if int(row["Status"]) != 1:
        raise bad("ClaimProc must have a Status of Received.")
    paid = money_field(body, "InsPayAmt") or ZERO
    today = local_today()
    cur.execute(
        "INSERT INTO claimproc (ProcNum, ClaimNum, PatNum, ProvNum, Status, InsPayAmt, PlanNum, "
        "CodeSent, ProcDate, DateEntry, DateCP, ClinicNum, InsSubNum, SecDateEntry, "
        "DateSuppReceived, Percentage, BaseEst, InsEstTotal) "
        "VALUES (?, ?, ?, ?, 4, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        row["ProcNum"], row["ClaimNum"], row["PatNum"], row["ProvNum"], paid, row["PlanNum"],
        row["CodeSent"], row["ProcDate"], today, today, row["ClinicNum"], row["InsSubNum"],
        today, today, row["Percentage"], row["BaseEst"], row["InsEstTotal"],
    )  # fmt: skip
    cur.execute("SELECT LAST_INSERT_ID()")
    new = int(cur.fetchone()[0])
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
    pay_type = int_field(body, "PayType")
    if pay_type is None:
        cur.execute("SELECT DefNum FROM definition WHERE Category = 32 ORDER BY ItemOrder LIMIT 1")
        first = cur.fetchone()
        pay_type = int(first[0]) if first else 0
    elif definition(cur, pay_type, 32) is None:
        raise bad("PayType is invalid.")
    carrier = body.get("CarrierName")
    if not carrier:
        cur.execute(
            "SELECT ca.CarrierName FROM insplan ip "
            "JOIN carrier ca ON ca.CarrierNum = ip.CarrierNum WHERE ip.PlanNum = ?",
            claim["PlanNum"],
        )
        found = cur.fetchone()
        carrier = found[0] if found else ""
    check_date = date_field(body, "CheckDate") or local_today()
    clinic = int_field(body, "ClinicNum")
    cur.execute(
        "INSERT INTO claimpayment (CheckDate, CheckAmt, CheckNum, BankBranch, Note, ClinicNum, "
        "CarrierName, DateIssued, IsPartial, PayType, SecDateEntry, PayGroup) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
        check_date, amount, str(body.get("CheckNum") or "")[:25],
        str(body.get("BankBranch") or "")[:25], str(body.get("Note") or "")[:255],
        int(claim["ClinicNum"]) if clinic is None else clinic, str(carrier)[:255],
        date_field(body, "DateIssued") or dt.date(1, 1, 1), pay_type, local_today(),
        int_field(body, "PayGroup") or 0,
    )  # fmt: skip
    cur.execute("SELECT LAST_INSERT_ID()")
    num = int(cur.fetchone()[0])
    cur.execute(
        "UPDATE claimproc SET ClaimPaymentNum = ?, DateCP = ?, "
        "DateInsFinalized = CASE WHEN DateInsFinalized = '0001-01-01' THEN CURDATE() "
        "ELSE DateInsFinalized END "
        "WHERE ClaimNum = ? AND ClaimPaymentNum = 0 AND Status IN (1, 4) AND IsTransfer = 0",
        num, check_date, claim_num,
    )  # fmt: skip
    return 201, {
        "ClaimPaymentNum": num, "CheckDate": text(check_date), "CheckAmt": text(amount),
        "CheckNum": str(body.get("CheckNum") or "")[:25], "Note": str(body.get("Note") or ""),
        "CarrierName": carrier, "IsPartial": "false", "PayType": pay_type, "DepositNum": 0,
    }  # fmt: skip
