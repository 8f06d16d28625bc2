"""Payments and commlogs endpoints of the Open Dental API double (rules per opendental.com)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from connector.money import ZERO
from workshop.emulated.opendental.crud_rows import EMPTY_DATE, insert_row
from workshop.sandbox.opendental_common import (
    ApiFault,
    bad,
    bool_field,
    date_field,
    datetime_field,
    db_now,
    definition,
    int_field,
    local_now,
    local_today,
    money_field,
    pref,
    require,
    row_dict,
    text,
)
from workshop.sandbox.opendental_ledger import NewSplit, auto_split, family_charges

PAYMENT_SOURCE_API = 13
RIGOROUS_MANUAL = "2"  # pref RigorousAccounting: 0 EnforceFully, 1 AutoSplitOnly, 2 DontEnforce
MODES = {"None": 0, "Email": 1, "Mail": 2, "Phone": 3, "In Person": 4, "Text": 5,
         "Email and Text": 6, "Phone and Text": 7}  # fmt: skip
SENT = {"Neither": 0, "Sent": 1, "Received": 2}


def _patient(cur: Any, pat_num: int) -> dict[str, Any]:
    cur.execute("SELECT PatNum, Guarantor, ClinicNum, PatStatus, PriProv FROM patient "
                "WHERE PatNum = ?", pat_num)  # fmt: skip
    row = cur.fetchone()
    if row is None:
        raise ApiFault(404, "Patient not found.")
    return row_dict(cur, row)


def _payment_row(cur: Any, pay_num: int) -> dict[str, Any]:
    cur.execute(
        "SELECT p.*, CAST(p.PayAmt AS DECIMAL(14,2)) AS Amount, "
        "COALESCE(d.ItemName, '') AS TypeName FROM payment p "
        "LEFT JOIN definition d ON d.DefNum = p.PayType WHERE p.PayNum = ?",
        pay_num,
    )
    row = cur.fetchone()
    if row is None:
        raise ApiFault(404, "Payment not found.")
    return row_dict(cur, row)


def payment_json(cur: Any, pay_num: int) -> dict[str, Any]:
    """A payment as Open Dental's API returns it."""
    row = _payment_row(cur, pay_num)
    return {
        "PayNum": int(row["PayNum"]), "PayType": int(row["PayType"]), "payType": row["TypeName"],
        "PayDate": text(row["PayDate"]), "PayAmt": text(row["Amount"]),
        "CheckNum": row["CheckNum"], "BankBranch": row["BankBranch"], "PayNote": row["PayNote"],
        "PatNum": int(row["PatNum"]), "ClinicNum": str(row["ClinicNum"]),
        "DateEntry": text(row["DateEntry"]), "DepositNum": int(row["DepositNum"]), "Receipt": "",
        "IsRecurringCC": "false", "SecUserNumEntry": 0, "SecDateTEdit": text(row["SecDateTEdit"]),
        "PaymentSource": "API" if int(row["PaymentSource"]) == PAYMENT_SOURCE_API else "None",
        "ProcessStatus": "OfficeProcessed", "RecurringChargeDate": "0001-01-01",
        "IsCcCompleted": "false", "serverDateTime": text(local_now()),
    }  # fmt: skip


def _insert_payment(cur: Any, values: dict[str, Any], splits: list[NewSplit]) -> int:
    """One payment and its splits, every column given as Open Dental's CRUD does."""
    values = {
        **values,
        "IsSplit": int(len(splits) > 1),
        "DateEntry": db_now(cur).date(),  # PaymentCrud.Insert: DbHelper.Now()
        "SecUserNumEntry": 0,  # API-created rows show user 0
        "RecurringChargeDate": EMPTY_DATE,
    }
    pay_num = insert_row(cur, "payment", values)
    _insert_splits(cur, pay_num, values["PayDate"], splits)
    return pay_num


def _insert_splits(cur: Any, pay_num: int, pay_date: dt.date, splits: list[NewSplit]) -> None:
    entered = db_now(cur).date()  # PaySplitCrud.Insert: DateEntry = DbHelper.Now()
    for split in splits:
        # SecurityHash stays empty: Open Dental computes it in its closed CDT.dll (see docs).
        insert_row(cur, "paysplit", {
            "SplitAmt": split.amount, "PatNum": split.pat_num, "PayNum": pay_num,
            "ProvNum": split.prov_num, "DatePay": pay_date, "ProcNum": split.proc_num,
            "DateEntry": entered, "UnearnedType": split.unearned_type,
            "ClinicNum": split.clinic_num, "AdjNum": split.adj_num,
        })  # fmt: skip


def create_payment(cur: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``POST /payments``: FIFO auto-split over the family, remainder unearned."""
    amount = money_field(body, "PayAmt", required=True)
    pat_num = int_field(body, "PatNum", required=True)
    assert amount is not None and pat_num is not None
    patient = _patient(cur, pat_num)
    pay_type = int_field(body, "PayType") or int(pref(cur, "ApiPaymentType", "0") or 0)
    type_def = definition(cur, pay_type, 10)
    if type_def is None:
        raise bad("PayType is invalid.")
    if type_def["IsHidden"]:
        raise bad("PayType is hidden.")
    today = local_today()
    pay_date = date_field(body, "PayDate") or today
    if pay_date > today and pref(cur, "FutureTransDatesAllowed") != "1":
        raise bad("PayDate cannot be in the future.")
    is_prepayment = bool_field(body, "isPrepayment")
    if amount == ZERO:
        raise bad("PayAmt cannot be zero.")
    if amount < ZERO and not is_prepayment:
        # Open Dental never auto-splits a negative payment.
        raise bad("Negative payments must be prepayments.")
    clinic = int_field(body, "ClinicNum")
    clinic = int(patient["ClinicNum"]) if clinic is None else clinic
    unearned = int(pref(cur, "PrepaymentUnearnedType", "0") or 0)
    proc_nums = body.get("procNums") or []
    if not isinstance(proc_nums, list) or not all(str(p).isdigit() for p in proc_nums):
        raise bad("procNums must be an array of ProcNums.")
    if is_prepayment:
        splits = [NewSplit(amount, pat_num, 0, clinic, unearned_type=unearned)]
    elif pref(cur, "RigorousAccounting", "1").strip() == RIGOROUS_MANUAL:
        # 2 = "Manual": AutoSplitForPayment makes no splits; the whole amount stays on the
        # payer, unallocated, with the patient's provider (as Payments.CreateSinglePaySplitForWeb
        # does). What the closed API code does here is unverified.
        splits = [NewSplit(amount, pat_num, int(patient["PriProv"]), clinic)]
    else:  # 0 "Rigorous" and 1 "Auto-Split Only" split alike; 0 only adds validity checks
        charges = family_charges(cur, int(patient["Guarantor"]))
        splits = auto_split(
            charges, amount, payer=pat_num, clinic_num=clinic, unearned_type=unearned,
            patient_first=bool_field(body, "isPatientPreferred"),
            only_procs=[int(p) for p in proc_nums] if proc_nums else None,
        )  # fmt: skip
    values = {
        "PayType": pay_type, "PayDate": pay_date, "PayAmt": amount,
        "CheckNum": str(body.get("CheckNum") or "")[:25],
        "BankBranch": str(body.get("BankBranch") or "")[:25],
        "PayNote": str(body.get("PayNote") or ""), "PatNum": pat_num, "ClinicNum": clinic,
        "PaymentSource": PAYMENT_SOURCE_API,
        "MerchantFee": money_field(body, "MerchantFee") or ZERO,
    }  # fmt: skip
    return 201, payment_json(cur, _insert_payment(cur, values, splits))


def refund_payment(cur: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``POST /payments/Refund``: a negative copy of the payment and of each split."""
    require(cur, "refunds")
    pay_num = int_field(body, "PayNum", required=True)
    assert pay_num is not None
    original = _payment_row(cur, pay_num)
    cur.execute(
        "SELECT CAST(SplitAmt AS DECIMAL(14,2)), PatNum, ProvNum, ClinicNum, ProcNum, AdjNum, "
        "UnearnedType, PayPlanNum FROM paysplit WHERE PayNum = ?",
        pay_num,
    )
    splits = cur.fetchall()
    if any(Decimal(s[0]) < ZERO or int(s[7]) for s in splits):
        raise bad(
            "Cannot refund payments that are attached to payment plans or have negative paysplits."
        )
    negated = [
        NewSplit(-Decimal(s[0]), int(s[1]), int(s[2]), int(s[3]), proc_num=int(s[4]),
                 adj_num=int(s[5]), unearned_type=int(s[6]))
        for s in splits
    ]  # fmt: skip
    values = {
        "PayType": original["PayType"], "PayDate": local_today(),
        "PayAmt": -Decimal(original["Amount"]), "CheckNum": original["CheckNum"],
        "BankBranch": original["BankBranch"], "PayNote": original["PayNote"],
        "PatNum": original["PatNum"], "ClinicNum": original["ClinicNum"], "PaymentSource": 0,
    }  # fmt: skip
    return 201, payment_json(cur, _insert_payment(cur, values, negated))


def update_payment(cur: Any, pay_num: int, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``PUT /payments/{PayNum}``: PayType, CheckNum, BankBranch, PayNote."""
    _payment_row(cur, pay_num)
    changes: dict[str, Any] = {}
    if "PayType" in body:
        pay_type = int_field(body, "PayType")
        if pay_type is None or definition(cur, pay_type, 10) is None:
            raise bad("PayType is invalid.")
        changes["PayType"] = pay_type
    for name in ("CheckNum", "BankBranch", "PayNote"):
        if name in body:
            changes[name] = str(body[name] or "")
    if changes:
        assignments = ", ".join(f"{name} = ?" for name in changes)
        cur.execute(
            f"UPDATE payment SET {assignments} WHERE PayNum = ?",  # noqa: S608 - fixed names
            *changes.values(),
            pay_num,
        )
    return 200, payment_json(cur, pay_num)


def allocate_payment(cur: Any, pay_num: int, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``PUT /payments/{PayNum}/Partial``: replace the splits by explicit procedure amounts."""
    require(cur, "explicit_allocation")
    payment = _payment_row(cur, pay_num)
    pairs = body.get("procNumsAndAmounts")
    if body.get("payPlanChargeNumsAndAmounts"):
        raise bad("payPlanChargeNumsAndAmounts is not supported by this server.")
    if not isinstance(pairs, list) or not pairs:
        raise bad("procNumsAndAmounts or payPlanChargeNumsAndAmounts is required.")
    patient = _patient(cur, int(payment["PatNum"]))
    charges = {
        c.num: c
        for c in family_charges(cur, int(patient["Guarantor"]), ignore_pay_num=pay_num)
        if c.kind == "procedure"
    }
    splits: list[NewSplit] = []
    for pair in pairs:
        if not isinstance(pair, dict):
            raise bad("procNumsAndAmounts is invalid.")
        proc_num = int_field(pair, "ProcNum", required=True)
        amount = money_field(pair, "Amount", required=True)
        assert proc_num is not None and amount is not None
        charge = charges.get(proc_num)
        if charge is None:
            raise bad(f"ProcNum {proc_num} is not for the patient or a family member.")
        if charge.due <= ZERO:
            raise bad(f"ProcNum {proc_num} does not have an outstanding charge.")
        splits.append(NewSplit(amount, charge.pat_num, charge.prov_num, charge.clinic_num,
                               proc_num=proc_num))  # fmt: skip
    if sum((s.amount for s in splits), ZERO) != Decimal(payment["Amount"]):
        raise bad("The sum of all Amounts must equal the PayAmt of the payment.")
    cur.execute("DELETE FROM paysplit WHERE PayNum = ?", pay_num)
    _insert_splits(cur, pay_num, payment["PayDate"], splits)
    cur.execute("UPDATE payment SET IsSplit = ? WHERE PayNum = ?", int(len(splits) > 1), pay_num)
    return 200, payment_json(cur, pay_num)


def create_commlog(cur: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``POST /commlogs``: PatNum and Note required; type, mode and direction optional."""
    pat_num = int_field(body, "PatNum", required=True)
    assert pat_num is not None
    note = body.get("Note")
    if not note:
        raise bad("Note is required.")
    _patient(cur, pat_num)
    when = datetime_field(body, "CommDateTime") or local_now()
    comm_type = _commlog_type(cur, body)
    mode = body.get("Mode_", "Phone")
    if mode not in MODES:
        raise bad("Mode_ is invalid.")
    sent = body.get("SentOrReceived", "Sent")
    if sent not in SENT:
        raise bad("SentOrReceived is invalid.")
    num = insert_row(cur, "commlog", {
        "PatNum": pat_num, "CommDateTime": when, "CommType": comm_type["DefNum"],
        "Note": str(note), "Mode_": MODES[mode], "SentOrReceived": SENT[sent], "CommSource": 0,
        "DateTEntry": db_now(cur),  # CommlogCrud.Insert: DbHelper.Now()
    })  # fmt: skip
    return 201, {
        "CommlogNum": num, "PatNum": pat_num, "CommDateTime": text(when),
        "CommType": str(comm_type["DefNum"]), "commType": comm_type["ItemName"],
        "Note": str(note), "Mode_": mode, "SentOrReceived": sent, "UserNum": 0,
        "CommSource": "User", "ProgramNum": 0, "ReferralNum": 0,
    }  # fmt: skip


def _commlog_type(cur: Any, body: dict[str, Any]) -> dict[str, Any]:
    if body.get("commType"):
        cur.execute(
            "SELECT DefNum, ItemName FROM definition WHERE Category = 27 AND ItemName = ?",
            str(body["commType"]),
        )
    elif body.get("CommType") not in (None, ""):
        cur.execute(
            "SELECT DefNum, ItemName FROM definition WHERE Category = 27 AND DefNum = ?",
            int_field(body, "CommType"),
        )
    else:  # "Default Miscellaneous"
        cur.execute(
            "SELECT DefNum, ItemName FROM definition WHERE Category = 27 "
            "ORDER BY ItemValue = 'MISC' DESC, ItemOrder LIMIT 1"
        )
    row = cur.fetchone()
    if row is None:
        raise bad("CommType is invalid.")
    return {"DefNum": int(row[0]), "ItemName": row[1]}
