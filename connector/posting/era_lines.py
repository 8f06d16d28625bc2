"""Match an ERA claim's service lines to the PMS claim's procedures, and split their amounts.

Matching, per service line in order, each PMS procedure used at most once:

1. ``REF*6R`` (line item control number) equal to the procedure's own line reference;
2. else the *submitted* code (SVC06 when the payer changed it, else SVC01; the ``AD:``
   qualifier ignored) + the service date (DTM*472, else the claim's first date) + the fee.
   Two identical procedures on one date are told apart by order.

Amounts per line: paid = SVC03; write-off = CAS group CO; deductible = PR-1; other PR
(coinsurance, copay, maximums) stays patient responsibility and is not posted; OA and PI need
a person unless ``adjustment_mappings`` maps ``GROUP-REASON`` (or the whole ``GROUP``) to
``writeoff``, ``patient`` or ``ignore``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from adapters.base import ClaimLine
from connector.money import ZERO, total
from connector.records.era import EraLine
from connector.records.era_parts import Adjustment
from connector.x12codes import normalize_code

DEDUCTIBLE = "1"


@dataclass(frozen=True)
class LineMatch:
    """A service line and the PMS procedure it pays."""

    line: EraLine
    procedure: ClaimLine


def match_lines(
    lines: Sequence[EraLine], procedures: Sequence[ClaimLine], claim_date: dt.date | None
) -> tuple[list[LineMatch], list[EraLine]]:
    """``(matched, unmatched)`` service lines; see the module docstring for the rules."""
    unused = list(procedures)
    matched: list[LineMatch] = []
    unmatched: list[EraLine] = []
    for line in lines:
        found = None
        if line.line_ref:
            found = next((p for p in unused if p.line_ref and p.line_ref == line.line_ref), None)
        if found is None:
            code, date, fee = line.submitted_code, line.date or claim_date, abs(line.charge)
            found = next(
                (
                    p
                    for p in unused
                    if normalize_code(p.code) == code and p.date == date and p.fee == fee
                ),
                None,
            )
        if found is None:
            unmatched.append(line)
        else:
            unused.remove(found)
            matched.append(LineMatch(line, found))
    return matched, unmatched


@dataclass(frozen=True)
class LineAmounts:
    """What one service line posts, what stays with the patient, and what needs a person."""

    paid: Decimal
    writeoff: Decimal
    deductible: Decimal
    patient: Decimal
    unmapped: tuple[Adjustment, ...]
    ignored: tuple[Adjustment, ...]
    remarks: str
    reason_codes: str = ""  # distinct CARC reason codes, comma-separated ("45,1")
    allowed: Decimal | None = None


def treatment(adjustment: Adjustment, mappings: Mapping[str, str]) -> str | None:
    """``writeoff``, ``deductible``, ``patient`` or ``ignore``; None when a person decides."""
    if adjustment.group == "CO":
        return "writeoff"
    if adjustment.group == "PR":
        return "deductible" if adjustment.reason == DEDUCTIBLE else "patient"
    return mappings.get(adjustment.code) or mappings.get(adjustment.group)


def line_amounts(line: EraLine, mappings: Mapping[str, str]) -> LineAmounts:
    """Split one line's adjustments into the ledger's buckets."""
    buckets: dict[str, list[Adjustment]] = {
        "writeoff": [],
        "deductible": [],
        "patient": [],
        "ignore": [],
        "unmapped": [],
    }
    for adjustment in line.adjustments:
        buckets[treatment(adjustment, mappings) or "unmapped"].append(adjustment)
    codes = [a.code for a in line.adjustments] + list(line.remarks)
    return LineAmounts(
        paid=line.paid,
        writeoff=total(a.amount for a in buckets["writeoff"]),
        deductible=total(a.amount for a in buckets["deductible"]),
        patient=total(a.amount for a in buckets["patient"]),
        unmapped=tuple(buckets["unmapped"]),
        ignored=tuple(buckets["ignore"]),
        remarks=" ".join(codes) or "",
        reason_codes=",".join(dict.fromkeys(a.reason for a in line.adjustments)),
        allowed=line.allowed,
    )


def remaining_balance(matches: Sequence[LineMatch], amounts: Sequence[LineAmounts]) -> Decimal:
    """What stays open on the matched procedures after this payment and write-off."""
    left = total(m.procedure.fee - m.procedure.paid - m.procedure.writeoff for m in matches)
    left -= total(a.paid + a.writeoff for a in amounts)
    return max(left, ZERO)
