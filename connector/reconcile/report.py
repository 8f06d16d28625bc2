"""``report reconcile``: for each Stripe payout and each ERA EFT, the bank amount, the PMS
deposit, what is posted, what waits for a person, and the difference; optionally each matched
to a bank statement's credit (:mod:`connector.reconcile.matching`).

Typed rows (:class:`ReconcileRow`, :class:`BankRow`) so the staff console can show the same
page. A row is **closed** only at a 0.00 difference, with its bank credit found when a
statement was given, and with a PMS deposit equal to the bank amount when one was written.

* Payout: bank amount = what Stripe paid out; posted = patient money on the ledger (payments
  less posted reversals); waiting = patient money not on it (review, failed, not yet posted);
  difference = waiting + what the payout's parts do not explain (``report payouts``).
* EFT: bank amount = BPR02; posted = claim payments + provider-level adjustments posted;
  waiting = claims in review or elsewhere + adjustments not posted; difference = BPR02 − posted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from connector.domain import ItemKind, ItemStatus
from connector.money import ZERO
from connector.posting.deposits import deposit_key, eft_deposit_key
from connector.reconcile.matching import Expected, match_statement
from connector.reconcile.statement import BankLine
from connector.records.era_remittance import readable_remittance
from connector.reports import payout_report, remittance_report
from connector.store import StateStore


@dataclass
class ReconcileRow:
    """One payout or EFT, tied out against the ledger (and the bank, when given)."""

    practice_id: str
    source: str  # "stripe" | "era"
    ref: str  # po_… or TRN02
    counterparty: str  # "Stripe" or the payer
    date: dt.date | None  # arrival date / BPR16 payment date
    bank_amount: Decimal
    posted: Decimal
    waiting: Decimal
    difference: Decimal
    waiting_items: list[str] = field(default_factory=list)
    deposit_id: str | None = None  # the PMS deposit, once one is written
    deposit_amount: Decimal | None = None
    bank: str = ""  # the matched credit(s), or why none; "" without a statement
    bank_matched: bool | None = None  # None: no statement given

    @property
    def closed(self) -> bool:
        """0.00 difference, the bank credit found (when a statement was given), and the
        deposit (when written) equal to the bank amount."""
        return (
            self.difference == ZERO
            and self.bank_matched is not False
            and self.deposit_amount in (None, self.bank_amount)
        )


@dataclass(frozen=True)
class BankRow:
    """A bank credit that no payout or EFT explains (or that fits several)."""

    line: BankLine
    why: str


@dataclass
class ReconcileReport:
    """All rows of one reconciliation."""

    rows: list[ReconcileRow]
    unmatched_bank: list[BankRow]


def _date(text: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def ledger_rows(
    store: StateStore,
    practice_ids: Iterable[str],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[ReconcileRow]:
    """Payout and EFT rows from the state store (no bank statement)."""
    practices = list(practice_ids)
    rows = []
    for p in payout_report(store, practices, since, until):
        if p.paid_out == ZERO:
            continue  # a notice or a payout whose own debit was not recorded: nothing banked
        waiting = p.gross - p.posted - p.ignored
        row = ReconcileRow(
            p.practice_id, "stripe", p.payout, "Stripe", _date(p.arrival_date), p.paid_out,
            p.posted, waiting, waiting + p.unexplained, list(p.unposted),
        )  # fmt: skip
        deposit = store.find_item(p.practice_id, deposit_key(p.payout))
        if deposit is not None and deposit.status is ItemStatus.POSTED:
            row.deposit_id = " ".join(str(v) for v in deposit.pms_ids.values())
            row.deposit_amount = deposit.amount
        rows.append(row)
    for r in remittance_report(store, practices, since, until):
        item = store.find_item(r.practice_id, r.remittance)
        remittance = readable_remittance(item) if item else None
        day = remittance.payment_date if remittance else None
        posted = r.posted + r.plb_posted
        waiting_items = []
        for it in store.group_items(r.practice_id, r.remittance):
            money = it.kind in (ItemKind.ERA_CLAIM, ItemKind.ERA_PLB)
            if money and it.status not in (ItemStatus.POSTED, ItemStatus.IGNORED):
                waiting_items.append(f"{it.key} {it.kind.value} {it.amount} {it.status.value}")
        row = ReconcileRow(
            r.practice_id, "era", r.trace, r.payer, day, r.amount, posted,
            r.amount - posted, r.amount - posted, waiting_items,
        )  # fmt: skip
        payer = (remittance.payer_id or remittance.payer_name or "") if remittance else ""
        deposit = store.find_item(r.practice_id, eft_deposit_key(payer, r.trace))
        if deposit is not None and deposit.status is ItemStatus.POSTED:
            row.deposit_id = " ".join(str(v) for v in deposit.pms_ids.values())
            if deposit.amount == r.amount:
                row.deposit_amount = deposit.amount
            else:  # several remittances paid as one EFT: the deposit holds them all
                row.deposit_id += f" (lump sum {deposit.amount})"
        rows.append(row)
    return sorted(rows, key=lambda x: (x.practice_id, x.date or dt.date.min, x.source, x.ref))


def reconcile_report(
    store: StateStore,
    practice_ids: Iterable[str],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    bank: Sequence[BankLine] | None = None,
) -> ReconcileReport:
    """The reconciliation rows, matched to ``bank`` credits when a statement is given.

    Args:
        bank: the statement's credits (:func:`~connector.reconcile.statement.read_statement`);
            None for the ledger-only report.
    """
    rows = ledger_rows(store, practice_ids, since, until)
    if bank is None:
        return ReconcileReport(rows, [])
    expected = [
        Expected(str(index), row.ref, row.bank_amount, row.date, row.source == "era")
        for index, row in enumerate(rows)
    ]
    verdict = match_statement(expected, bank)
    for row, exp in zip(rows, verdict.expected, strict=True):
        row.bank_matched = bool(exp.bank)
        if exp.bank:
            lump = " (lump sum)" if len(exp.bank) == 1 and _shared(exp, verdict.expected) else ""
            row.bank = "; ".join(ln.label for ln in exp.bank) + lump
        else:
            row.bank = exp.flag or "not in the statement"
    unmatched = [BankRow(ln, "no payout or EFT fits") for ln in verdict.unmatched_lines]
    flagged_lines = {ln.line: ln for ln in bank}
    unmatched += [BankRow(flagged_lines[n], why) for n, why in verdict.flagged_lines.items()]
    return ReconcileReport(rows, sorted(unmatched, key=lambda b: b.line.line))


def _shared(exp: Expected, everyone: Sequence[Expected]) -> bool:
    line = exp.bank[0]
    return sum(1 for e in everyone if line in e.bank) > 1
