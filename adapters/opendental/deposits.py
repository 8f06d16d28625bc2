"""Open Dental deposits through ``POST /deposits`` (25.4.33+, [OD-A6]), written once.

The deposit's ``Memo`` starts with the plan's marker; before writing, the deposit table is read
(over ODBC, read-only) for a deposit carrying it, so a crash after Open Dental saved the deposit
and before our store recorded it heals on the next run. The deposit groups the ``PayNum`` of
every posted payment and refund and the ``ClaimPaymentNum`` of every insurance check the plan
names, leaving out checks Open Dental marks partial (``IsPartial``) or $0, which cannot be on a
deposit ([3P] in opendental-era-and-api.md), and naming them in the Memo and in the returned
ids (``left_out_checks``); its ``Amount`` is the bank amount. Unverified against a real Open
Dental: whether ``Amount`` may differ from the sum of what is attached (fees, hand-entered
items), and whether negative (refund) payments may be attached.
"""

from __future__ import annotations

from typing import Any

from adapters.opendental.api import OpenDentalApi, day, money
from adapters.opendental.db import ReadOnlyDb
from adapters.opendental.retry import once_more_if_absent
from connector.domain import DepositPlan, PostedEntry
from connector.errors import DataError
from connector.money import to_money

MEMO_MAX = 255
DEPOSIT_BY_MEMO = """
SELECT DepositNum, CAST(Amount AS DECIMAL(14,2)) FROM deposit
WHERE Memo LIKE ? ORDER BY DepositNum LIMIT 1
"""

CHECKS_FOR_DEPOSIT = """
SELECT ClaimPaymentNum, IsPartial, CAST(CheckAmt AS DECIMAL(14,2)) FROM claimpayment
WHERE ClaimPaymentNum IN"""


def _like(marker: str) -> str:
    escaped = marker.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def _ids(entries: tuple[dict[str, Any], ...], name: str) -> list[int]:
    found: list[int] = []
    for entry in entries:
        for key in (name, f"Refund{name}"):
            value = entry.get(key)
            if value not in (None, "") and int(value) not in found:
                found.append(int(value))
    return found


class DepositWriter:
    """Writes and finds Open Dental deposits for one practice."""

    def __init__(self, db: ReadOnlyDb, api: OpenDentalApi) -> None:
        self.db = db
        self.api = api

    def find(self, marker: str) -> dict[str, Any] | None:
        """The deposit whose Memo starts with ``marker``, or None.

        Raises:
            TransientError.
        """
        row = self.db.fetchone("deposit_by_memo", DEPOSIT_BY_MEMO, (_like(marker),))
        return {"DepositNum": int(row[0]), "Amount": str(row[1])} if row else None

    def post(self, plan: DepositPlan) -> PostedEntry:
        """Write ``plan`` once (see the module docstring).

        Raises:
            PermanentError: Open Dental refused it (400). TransientError, AuthError.
        """
        found = self.find(plan.marker)
        if found is not None:
            return PostedEntry(plan.external_ref, {"DepositNum": found["DepositNum"]},
                               to_money(found["Amount"]), already_existed=True)  # fmt: skip
        checks, left_out = self._depositable(_ids(plan.entries, "ClaimPaymentNum"))
        pay_nums = _ids(plan.entries, "PayNum")
        if not pay_nums and not checks:
            raise DataError(
                f"deposit {plan.external_ref}: nothing can go on it (insurance checks "
                f"{left_out} are partial or $0, which Open Dental keeps off deposits)",
                code="deposit_empty",
            )
        self._not_deposited_yet(plan, pay_nums, checks)
        memo = plan.memo + (f"; left out (partial or $0): checks {left_out}" if left_out else "")
        body: dict[str, Any] = {
            "DateDeposit": day(plan.date),
            "Amount": money(plan.amount),
            "Memo": f"{plan.marker} {memo}"[:MEMO_MAX],
            "payNums": pay_nums,
            "claimPaymentNums": checks,
        }
        created = once_more_if_absent(
            lambda: self.api.create_deposit(body), lambda: self.find(plan.marker),
            step="deposits_post",
        )  # fmt: skip
        ids: dict[str, Any] = {"DepositNum": int(created["DepositNum"])}
        if left_out:
            ids["left_out_checks"] = left_out
        return PostedEntry(plan.external_ref, ids, plan.amount)

    def _not_deposited_yet(self, plan: DepositPlan, pay_nums: list[int], checks: list[int]) -> None:
        """Refuse (DataError, to a person) when staff already put one of them on a deposit."""
        taken = []
        for table, column, nums in (("payment", "PayNum", pay_nums),
                                    ("claimpayment", "ClaimPaymentNum", checks)):  # fmt: skip
            if not nums:
                continue
            marks = ", ".join("?" for _ in nums)
            # table and column names are ours; the values go as "?" parameters
            where = f"{column} IN ({marks})"
            sql = f"SELECT {column}, DepositNum FROM {table} WHERE {where}"  # noqa: S608 - our names
            rows = self.db.fetchall("deposited_already", sql, nums)
            taken += [f"{column} {r[0]} (deposit {r[1]})" for r in rows if int(r[1])]
        if taken:
            raise DataError(
                f"deposit {plan.external_ref}: already on a deposit in Open Dental: "
                f"{', '.join(taken)}; staff deposited it by hand, so nothing was written",
                code="deposit_exists",
            )

    def _depositable(self, nums: list[int]) -> tuple[list[int], list[int]]:
        """``(on the deposit, left out)``: partial and $0 checks cannot be deposited ([3P])."""
        if not nums:
            return [], []
        marks = ", ".join("?" for _ in nums)
        sql = f"{CHECKS_FOR_DEPOSIT} ({marks})"  # "?" placeholders only
        rows = {int(r[0]): r for r in self.db.fetchall("claimpayments_for_deposit", sql, nums)}
        keep = [n for n in nums if n in rows and not int(rows[n][1]) and float(rows[n][2]) != 0]
        return keep, [n for n in nums if n not in keep]
