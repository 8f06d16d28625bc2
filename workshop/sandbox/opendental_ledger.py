"""How the Open Dental API double computes a family's open charges and Open Dental's auto-split.

This is an independent implementation of Open Dental's documented behaviour (``PaymentEdit``
``ConstructAndLinkChargeCredits`` / ``AutoSplitForPayment``), written in Python against the
rows, so that the adapter's SQL is checked against something it does not share code with.

Simplification (same as the adapter's, and visible in docs/vendors/opendental.md): only
*explicit* credit links are netted (splits with ProcNum/AdjNum, attached adjustments,
claimprocs). Open Dental also links loose credits implicitly (unallocated splits, "by total"
insurance, negative unattached adjustments); the double does not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.money import ZERO, to_money

PAID_STATUSES = (1, 4, 5, 7)
ESTIMATE_STATUSES = (0, 6, 8, 9)


@dataclass
class Charge:
    """A procedure or adjustment with what remains for the patient to pay."""

    kind: str  # "procedure" | "adjustment"
    num: int
    pat_num: int
    prov_num: int
    clinic_num: int
    date: dt.date
    due: Decimal

    def sort_key(self) -> tuple[dt.date, int, int]:
        """Oldest first; procedures before adjustments on one date; then by key."""
        return (self.date, 0 if self.kind == "procedure" else 1, self.num)


@dataclass
class NewSplit:
    """A paysplit the double is about to insert."""

    amount: Decimal
    pat_num: int
    prov_num: int
    clinic_num: int
    proc_num: int = 0
    adj_num: int = 0
    unearned_type: int = 0


def _dec(value: Any) -> Decimal:
    return to_money(Decimal(str(value)))


def family_charges(cur: Any, guarantor: int, *, ignore_pay_num: int = 0) -> list[Charge]:
    """The family's charges (all of them, ``due`` may be ≤ 0), in Open Dental's order."""
    cur.execute(
        "SELECT pl.ProcNum, pl.PatNum, pl.ProvNum, pl.ClinicNum, pl.ProcDate, "
        "CAST(pl.ProcFee AS DECIMAL(14,2)), pl.UnitQty, pl.BaseUnits "
        "FROM procedurelog pl JOIN patient p ON p.PatNum = pl.PatNum "
        "WHERE p.Guarantor = ? AND pl.ProcStatus = 2",
        guarantor,
    )
    procs = cur.fetchall()
    cur.execute(
        "SELECT a.AdjNum, a.PatNum, a.ProvNum, a.ClinicNum, a.AdjDate, "
        "CAST(a.AdjAmt AS DECIMAL(14,2)), a.ProcNum "
        "FROM adjustment a JOIN patient p ON p.PatNum = a.PatNum WHERE p.Guarantor = ?",
        guarantor,
    )
    adjustments = cur.fetchall()
    cur.execute(
        "SELECT cp.ProcNum, cp.Status, CAST(cp.InsPayAmt AS DECIMAL(14,2)), "
        "CAST(cp.InsPayEst AS DECIMAL(14,2)), CAST(cp.WriteOff AS DECIMAL(14,2)) "
        "FROM claimproc cp JOIN patient p ON p.PatNum = cp.PatNum WHERE p.Guarantor = ?",
        guarantor,
    )
    claimprocs = cur.fetchall()
    cur.execute(
        "SELECT ps.ProcNum, ps.AdjNum, CAST(ps.SplitAmt AS DECIMAL(14,2)), ps.PayNum "
        "FROM paysplit ps JOIN patient p ON p.PatNum = ps.PatNum WHERE p.Guarantor = ?",
        guarantor,
    )
    splits = [s for s in cur.fetchall() if int(s[3]) != ignore_pay_num]
    subtract_estimates = _pref(cur, "BalancesDontSubtractIns") not in ("1", "true")

    charges: list[Charge] = []
    for num, pat, prov, clinic, date, fee, units, base in procs:
        due = _dec(fee) * (int(units) + int(base))
        for cp_proc, status, paid, est, writeoff in claimprocs:
            if int(cp_proc) != int(num):
                continue
            if int(status) in PAID_STATUSES:
                due -= _dec(paid) + _dec(writeoff)
            elif int(status) in ESTIMATE_STATUSES and subtract_estimates:
                due -= _dec(est) + _dec(writeoff)
        due += sum((_dec(a[5]) for a in adjustments if int(a[6]) == int(num)), ZERO)
        due -= sum((_dec(s[2]) for s in splits if int(s[0]) == int(num)), ZERO)
        charges.append(Charge("procedure", int(num), int(pat), int(prov), int(clinic), date, due))
    for num, pat, prov, clinic, date, amount, proc in adjustments:
        if int(proc) != 0 or _dec(amount) <= ZERO:
            continue
        due = _dec(amount) - sum((_dec(s[2]) for s in splits if int(s[1]) == int(num)), ZERO)
        charges.append(Charge("adjustment", int(num), int(pat), int(prov), int(clinic), date, due))
    return sorted(charges, key=Charge.sort_key)


def auto_split(
    charges: list[Charge],
    amount: Decimal,
    *,
    payer: int,
    clinic_num: int,
    unearned_type: int,
    patient_first: bool = False,
    only_procs: list[int] | None = None,
) -> list[NewSplit]:
    """Open Dental's FIFO: each open charge gets min(remaining, due); the rest is unearned."""
    candidates = [c for c in charges if c.due > ZERO]
    if only_procs is not None:
        wanted = set(only_procs)
        candidates = [c for c in candidates if c.kind == "procedure" and c.num in wanted]
    if patient_first:
        candidates.sort(key=lambda c: (c.pat_num != payer, c.sort_key()))
    remaining = amount
    result: list[NewSplit] = []
    for charge in candidates:
        if remaining <= ZERO:
            break
        part = min(remaining, charge.due)
        result.append(
            NewSplit(
                part, charge.pat_num, charge.prov_num, charge.clinic_num,
                proc_num=charge.num if charge.kind == "procedure" else 0,
                adj_num=charge.num if charge.kind == "adjustment" else 0,
            )
        )  # fmt: skip
        remaining -= part
    if remaining > ZERO:
        result.append(NewSplit(remaining, payer, 0, clinic_num, unearned_type=unearned_type))
    return result


def _pref(cur: Any, name: str) -> str:
    cur.execute("SELECT ValueString FROM preference WHERE PrefName = ?", name)
    row = cur.fetchone()
    return str(row[0]).strip() if row else ""
