"""Bank credits ↔ Stripe payouts and ERA EFTs (pure).

In order, each step only looking at what earlier steps left:

1. **Trace.** A credit whose ACH addenda names a trace (TRN02) takes the EFTs with that trace
   when their amounts add up to it: one EFT, or several remittances paid as one lump sum. A
   traced credit whose EFTs do not add up is flagged on both sides, not matched.
2. **Payout id.** A credit whose text names a payout (``po_…``) with the same amount takes it.
3. **Amount and date.** A credit of exactly the amount, dated from the payout's arrival date
   (or the EFT's payment date) to :data:`DAYS_LATE` days after. A credit and a payout/EFT are
   paired only when each is the other's only candidate; when several fit — two payouts of the
   same amount on the same day, say — every one of them is flagged "ambiguous", never paired.

What is left is listed: credits no payout or EFT explains, payouts and EFTs not in the
statement.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from connector.reconcile.statement import BankLine

DAYS_LATE = 3
"""How many days after the arrival/payment date a bank may post the credit (weekends, cut-off
times). Our choice, not a bank rule."""


@dataclass
class Expected:
    """A payout or EFT the bank should show: what the matcher needs of it."""

    key: str  # unique in the report: "stripe:<practice>:<po_>" / "era:<practice>:<remittance>"
    ref: str  # po_… or TRN02
    amount: Decimal
    date: dt.date | None
    is_eft: bool
    bank: list[BankLine] = field(default_factory=list)  # the matched credit(s)
    flag: str | None = None  # why it is not matched (ambiguous, amount differs)


@dataclass
class Match:
    """The matcher's verdict over one statement."""

    expected: list[Expected]
    unmatched_lines: list[BankLine]
    flagged_lines: dict[int, str]  # bank line number → why it was not matched


def match_statement(expected: Sequence[Expected], lines: Sequence[BankLine]) -> Match:
    """Pair bank credits with payouts and EFTs (see the module docstring)."""
    left = list(lines)
    flagged: dict[int, str] = {}
    by_trace: dict[str, list[Expected]] = defaultdict(list)
    for exp in expected:
        if exp.is_eft:
            by_trace[exp.ref].append(exp)
    for line in list(left):
        if line.trace is None or line.trace not in by_trace:
            continue
        candidates = [e for e in by_trace[line.trace] if not e.bank]
        whole = sum((e.amount for e in candidates), Decimal("0.00"))
        same = [e for e in candidates if e.amount == line.amount]
        chosen = candidates if candidates and whole == line.amount else same[:1]
        if len(same) > 1 and whole != line.amount:
            chosen = []
        if chosen:
            for exp in chosen:
                exp.bank.append(line)
            left.remove(line)
            continue
        why = f"trace {line.trace}: the EFTs with this trace total {whole}, the bank {line.amount}"
        flagged[line.line] = why
        for exp in candidates:
            exp.flag = f"bank {line.label} has its trace but another amount"
        left.remove(line)
    for line in list(left):
        named = [e for e in expected if not e.is_eft and not e.bank and e.ref in line.description]
        if len(named) == 1 and named[0].amount == line.amount:
            named[0].bank.append(line)
            left.remove(line)
    _by_amount_and_date([e for e in expected if not e.bank and e.flag is None], left, flagged)
    unmatched = [ln for ln in left if ln.line not in flagged]
    return Match(list(expected), unmatched, flagged)


def _fits(exp: Expected, line: BankLine) -> bool:
    if exp.amount != line.amount or exp.date is None:
        return False
    return exp.date <= line.date <= exp.date + dt.timedelta(days=DAYS_LATE)


def _by_amount_and_date(
    expected: list[Expected], left: list[BankLine], flagged: dict[int, str]
) -> None:
    lines_of = {id(e): [ln for ln in left if _fits(e, ln)] for e in expected}
    rows_of = {ln.line: [e for e in expected if _fits(e, ln)] for ln in left}
    for exp in expected:
        candidates = lines_of[id(exp)]
        if not candidates:
            continue
        if len(candidates) == 1 and len(rows_of[candidates[0].line]) == 1:
            exp.bank.append(candidates[0])
            left.remove(candidates[0])
            continue
        others = {e.ref for ln in candidates for e in rows_of[ln.line]} - {exp.ref}
        shown = ", ".join(ln.label for ln in candidates)
        exp.flag = f"ambiguous: bank {shown} also fit {', '.join(sorted(others)) or 'each other'}"
        for ln in candidates:
            refs = ", ".join(sorted(e.ref for e in rows_of[ln.line]))
            flagged[ln.line] = f"ambiguous: fits {refs} by amount and date"
