"""Insurance checks (claim payments) of the Open Dental API double: one claim, a batch, attach.

* ``POST /claimpayments`` (22.4.8+, in ``opendental_claims``): one claim, CheckAmt must equal its
  received, unattached insurance money.
* ``POST /claimpayments/Batch`` (24.2.18+): several claims on one check; a CheckAmt that differs
  from the attached money makes the check partial (``IsPartial``), as Open Dental's page says.
* ``PUT /claimprocs/{ClaimProcNum}`` with ``ClaimPaymentNum`` (24.3.24+, [3P]): attach a received
  claimproc to an existing partial check (see :func:`attach_claimproc`).

Every check row is written with all its columns (``crud_rows``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from workshop.emulated.opendental.crud_rows import EMPTY_DATE, insert_row
from workshop.sandbox.opendental_common import (
    ApiFault,
    bad,
    date_field,
    db_now,
    definition,
    int_field,
    local_today,
    money_field,
    require,
    row_dict,
    text,
)

ATTACHABLE = "ClaimPaymentNum = 0 AND Status IN (1, 4) AND IsTransfer = 0"


def insert_check(
    cur: Any,
    body: dict[str, Any],
    amount: Decimal,
    claim: dict[str, Any],
    claim_nums: list[int],
    *,
    partial: bool,
) -> dict[str, Any]:
    """Insert the claimpayment and attach the claims' received, unattached claimprocs."""
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
    num = insert_row(cur, "claimpayment", {
        "CheckDate": check_date, "CheckAmt": amount,
        "CheckNum": str(body.get("CheckNum") or "")[:25],
        "BankBranch": str(body.get("BankBranch") or "")[:25],
        "Note": str(body.get("Note") or "")[:255],
        "ClinicNum": int(claim["ClinicNum"]) if clinic is None else clinic,
        "CarrierName": str(carrier)[:255],
        "DateIssued": date_field(body, "DateIssued") or EMPTY_DATE,
        "IsPartial": int(partial), "PayType": pay_type, "SecDateEntry": db_now(cur).date(),
        "PayGroup": int_field(body, "PayGroup") or 0,
    })  # fmt: skip
    attach = (
        "UPDATE claimproc SET ClaimPaymentNum = ?, DateCP = ?, "  # noqa: S608 - constants
        "DateInsFinalized = CASE WHEN DateInsFinalized = '0001-01-01' THEN CURDATE() "
        f"ELSE DateInsFinalized END WHERE ClaimNum = ? AND {ATTACHABLE}"
    )
    for claim_num in claim_nums:
        cur.execute(attach, num, check_date, claim_num)
    return {
        "ClaimPaymentNum": num, "CheckDate": text(check_date), "CheckAmt": text(amount),
        "CheckNum": str(body.get("CheckNum") or "")[:25], "Note": str(body.get("Note") or ""),
        "CarrierName": carrier, "IsPartial": "true" if partial else "false",
        "PayType": pay_type, "DepositNum": 0,
    }  # fmt: skip


def create_batch(cur: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``POST /claimpayments/Batch``: one check for several claims; partial when CheckAmt is not
    the attached total. Needs at least one received, unattached claimproc."""
    require(cur, "batch_check")
    amount = money_field(body, "CheckAmt", required=True)
    nums = body.get("claimNums")
    if not isinstance(nums, list) or not nums or not all(str(n).isdigit() for n in nums):
        raise bad("claimNums is required and must be an array of ClaimNums.")
    assert amount is not None
    claim_nums = [int(str(n)) for n in nums]
    claims = []
    for claim_num in claim_nums:
        cur.execute("SELECT * FROM claim WHERE ClaimNum = ?", claim_num)
        row = cur.fetchone()
        if row is None:
            raise ApiFault(404, f"Claim {claim_num} not found.")
        claims.append(row_dict(cur, row))
    marks = ", ".join("?" for _ in claim_nums)
    total_sql = (
        "SELECT CAST(COALESCE(SUM(InsPayAmt), 0) AS DECIMAL(14,2)), COUNT(*) FROM claimproc "  # noqa: S608 - placeholders and constants
        f"WHERE ClaimNum IN ({marks}) AND {ATTACHABLE}"
    )
    cur.execute(total_sql, *claim_nums)
    attached, count = cur.fetchone()
    if not count:
        raise bad("There are no received ClaimProcs without a ClaimPayment on these claims.")
    partial = Decimal(attached) != amount
    return 201, insert_check(cur, body, amount, claims[0], claim_nums, partial=partial)


def attach_claimproc(cur: Any, row: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The ``ClaimPaymentNum`` part of ``PUT /claimprocs``: column changes for the UPDATE.

    [3P] Open Dental attaches a received (or supplemental) claimproc to an existing *partial*
    check; the claimproc takes the check's date. Whether Open Dental then clears ``IsPartial``
    once the attached money reaches CheckAmt is unverified; the double leaves it as it is.
    """
    check_num = int_field(body, "ClaimPaymentNum")
    if check_num is None or check_num == int(row["ClaimPaymentNum"]):
        return {}
    if int(row["ClaimPaymentNum"]):
        raise bad("ClaimProc is already attached to a ClaimPayment.")
    if int(row["Status"]) not in (1, 4) and body.get("Status") not in ("Received", "Supplemental"):
        raise bad("Only received ClaimProcs can be attached to a ClaimPayment.")
    cur.execute(
        "SELECT CheckDate, IsPartial FROM claimpayment WHERE ClaimPaymentNum = ?", check_num
    )
    check = cur.fetchone()
    if check is None:
        raise ApiFault(404, "ClaimPayment not found.")
    if not int(check[1]):
        raise bad("ClaimProcs can only be attached to a partial ClaimPayment.")
    changes: dict[str, Any] = {"ClaimPaymentNum": check_num, "DateCP": check[0]}
    if str(row["DateInsFinalized"]) == str(EMPTY_DATE):
        changes["DateInsFinalized"] = db_now(cur).date()
    return changes
