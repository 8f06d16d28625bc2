"""The Open Dental API double's ``POST /deposits`` (25.4.33+, [OD-A6]): a deposit slip grouping
payments (``payNums``) and insurance checks (``claimPaymentNums``).

Modelled on the API page: the fields ``DateDeposit``, ``BankAccountInfo``, ``Amount``, ``Memo``,
``Batch``; a claim payment on a deposit cannot be partial or $0 [3P]. Unverified, our choice:
a payment or check already on a deposit is refused, and ``Amount`` is stored as given (not
recomputed from what is attached).
"""

from __future__ import annotations

from typing import Any

from workshop.sandbox.opendental_common import (
    bad,
    date_field,
    local_today,
    money_field,
    require,
    text,
)


def _nums(body: dict[str, Any], name: str) -> list[int]:
    values = body.get(name) or []
    if not isinstance(values, list) or not all(str(v).isdigit() for v in values):
        raise bad(f"{name} must be an array of numbers.")
    return [int(v) for v in values]


def create_deposit(cur: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``POST /deposits``: insert the deposit and attach the payments and checks (404 below
    25.4.33, as the double answers every endpoint the office's version lacks)."""
    require(cur, "deposits")
    pay_nums, check_nums = _nums(body, "payNums"), _nums(body, "claimPaymentNums")
    if not pay_nums and not check_nums:
        raise bad("payNums or claimPaymentNums is required.")
    amount = money_field(body, "Amount", required=True)
    day = date_field(body, "DateDeposit") or local_today()
    for pay_num in pay_nums:
        cur.execute("SELECT DepositNum FROM payment WHERE PayNum = ?", pay_num)
        row = cur.fetchone()
        if row is None:
            raise bad(f"PayNum {pay_num} not found.")
        if int(row[0]):
            raise bad(f"PayNum {pay_num} is already attached to a deposit.")
    for num in check_nums:
        cur.execute("SELECT DepositNum, IsPartial, CheckAmt FROM claimpayment "
                    "WHERE ClaimPaymentNum = ?", num)  # fmt: skip
        row = cur.fetchone()
        if row is None:
            raise bad(f"ClaimPaymentNum {num} not found.")
        if int(row[0]):
            raise bad(f"ClaimPaymentNum {num} is already attached to a deposit.")
        if int(row[1]) or float(row[2]) == 0:
            raise bad(f"ClaimPaymentNum {num} is partial or $0 and cannot be deposited.")
    cur.execute(
        "INSERT INTO deposit (DateDeposit, BankAccountInfo, Amount, Memo, Batch, "
        "DepositAccountNum, IsSentToQuickBooksOnline) VALUES (?, ?, ?, ?, ?, 0, 0)",
        day, str(body.get("BankAccountInfo") or ""), amount,
        str(body.get("Memo") or "")[:255], str(body.get("Batch") or "")[:25],
    )  # fmt: skip
    cur.execute("SELECT LAST_INSERT_ID()")
    deposit_num = int(cur.fetchone()[0])
    for pay_num in pay_nums:
        cur.execute("UPDATE payment SET DepositNum = ? WHERE PayNum = ?", deposit_num, pay_num)
    for num in check_nums:
        cur.execute("UPDATE claimpayment SET DepositNum = ? WHERE ClaimPaymentNum = ?",
                    deposit_num, num)  # fmt: skip
    return 201, {
        "DepositNum": deposit_num, "DateDeposit": text(day), "Amount": text(amount),
        "Memo": str(body.get("Memo") or "")[:255], "payNums": pay_nums,
        "claimPaymentNums": check_nums,
    }  # fmt: skip
