"""``report deposits``: each payout's and insurance EFT's deposit — written to the PMS, or the
deposit slip staff enter by hand where the PMS has no sanctioned deposit write
(:mod:`connector.posting.deposits`).

Typed rows (:class:`DepositSlip`) for the staff console: the deposit's total is the bank
amount, and its lines are what it groups (each posting with its PMS ids, items entered by hand)
plus the processor fees, so lines − fees = total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from connector.domain import ItemKind, ItemStatus
from connector.errors import DataError
from connector.money import ZERO
from connector.posting.deposits import SLIP, members_of
from connector.records.deposit import EftDeposit, deposit_record
from connector.records.fields import iso
from connector.records.stripe import readable_transaction
from connector.reports import is_fee_transaction
from connector.store import StateStore


@dataclass(frozen=True)
class SlipLine:
    """One line of a deposit slip."""

    key: str  # txn_… of the posting
    kind: str
    amount: Decimal
    pms_ids: str  # as the adapter recorded them; "entered by hand" otherwise


@dataclass
class DepositSlip:
    """One payout's deposit: its state, total and lines."""

    practice_id: str
    payout: str  # the po_… of a payout's deposit, the TRN02 of an EFT's
    date: str
    amount: Decimal  # the bank amount
    state: str  # "written" (in the PMS) | "slip" (enter by hand) | "waiting"
    deposit_ids: str = ""
    fees: Decimal = ZERO
    lines: list[SlipLine] = field(default_factory=list)


def deposit_slips(
    store: StateStore,
    practice_ids: Iterable[str],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[DepositSlip]:
    """The deposit of every payout with a deposit item recorded in ``[since, until)``."""
    slips = []
    for practice_id in practice_ids:
        for dep in store.items_of_kind(practice_id, [ItemKind.DEPOSIT.value], since, until):
            try:
                record = deposit_record(dep.payload)
            except DataError:
                continue  # unreadable: its own review says so
            payout = record.trace if isinstance(record, EftDeposit) else str(record.payout)
            state = "waiting"
            if dep.status is ItemStatus.POSTED:
                state = "written"
            elif dep.status is ItemStatus.IGNORED:
                state = "slip"
            slip = DepositSlip(
                practice_id, payout,
                iso(record.paid_on) or "",
                dep.amount, state,
                " ".join(f"{k}={v}" for k, v in dep.pms_ids.items()) if state == "written" else "",
            )  # fmt: skip
            for item in members_of(store, practice_id, dep):
                txn = readable_transaction(item)  # None for the EFT's claims and adjustments
                if item.kind is ItemKind.DEPOSIT or (txn is not None and txn.is_payout_debit):
                    continue
                slip.fees += (txn.fee if txn is not None else None) or ZERO
                if item.kind is ItemKind.STRIPE_OTHER:
                    slip.fees -= item.amount if is_fee_transaction(txn) else ZERO
                    continue
                if item.status is ItemStatus.POSTED:
                    ids = " ".join(f"{k}={v}" for k, v in item.pms_ids.items() if k != "SplitNums")
                    slip.lines.append(SlipLine(item.key, item.kind.value, item.amount, ids))
                elif item.status is ItemStatus.REVIEW:
                    slip.lines.append(
                        SlipLine(item.key, item.kind.value, item.amount, "entered by hand")
                    )
            slips.append(slip)
    return slips


__all__ = ["SLIP", "DepositSlip", "SlipLine", "deposit_slips"]
