"""Open Dental deposits through ``POST /deposits`` (25.4.33+, [OD-A6]), written once.

The deposit's ``Memo`` starts with the plan's marker; before writing, the deposit table is read
(over ODBC, read-only) for a deposit carrying it, so a crash after Open Dental saved the deposit
and before our store recorded it heals on the next run. The deposit groups the ``PayNum`` of
every posted payment and refund and the ``ClaimPaymentNum`` of every insurance check the plan
names; its ``Amount`` is the bank amount. Unverified against a real Open Dental: whether
``Amount`` may differ from the sum of what is attached (fees, hand-entered items), and whether
negative (refund) payments may be attached.
"""

from __future__ import annotations

from typing import Any

from adapters.opendental.api import OpenDentalApi, day, money
from adapters.opendental.db import ReadOnlyDb
from adapters.opendental.retry import once_more_if_absent
from connector.domain import DepositPlan, PostedEntry
from connector.money import to_money

MEMO_MAX = 255
DEPOSIT_BY_MEMO = """
SELECT DepositNum, CAST(Amount AS DECIMAL(14,2)) FROM deposit
WHERE Memo LIKE ? ORDER BY DepositNum LIMIT 1
"""


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
        body: dict[str, Any] = {
            "DateDeposit": day(plan.date),
            "Amount": money(plan.amount),
            "Memo": f"{plan.marker} {plan.memo}"[:MEMO_MAX],
            "payNums": _ids(plan.entries, "PayNum"),
            "claimPaymentNums": _ids(plan.entries, "ClaimPaymentNum"),
        }
        created = once_more_if_absent(
            lambda: self.api.create_deposit(body), lambda: self.find(plan.marker),
            step="deposits_post",
        )  # fmt: skip
        return PostedEntry(plan.external_ref, {"DepositNum": int(created["DepositNum"])},
                           plan.amount)  # fmt: skip
