"""Predict Open Dental's own FIFO auto-split, to decide whether it gives exactly a plan's splits.

Open Dental (``PaymentEdit.AutoSplitForPayment``) walks the family's open charges oldest first,
procedures before adjustments on a date, giving each ``min(remaining, amount due)`` with the
charge's patient and provider, and puts any remainder on one unearned (prepayment) split. With
``procNums`` it only walks those procedures (by ProcDate). When the prediction equals the plan,
the adapter lets Open Dental split (one request); otherwise it allocates explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from adapters.base import ChargeKind, OpenCharge
from connector.domain import Split
from connector.money import ZERO


@dataclass(frozen=True)
class PredictedSplit:
    """One split Open Dental would create: a charge (or None for unearned) and an amount."""

    charge_ref: str | None
    kind: str | None
    patient_id: str
    amount: Decimal


def predict_auto_split(
    charges: Sequence[OpenCharge],
    amount: Decimal,
    *,
    payer_id: str,
    only_procs: Iterable[str] | None = None,
    patient_first: bool = False,
) -> list[PredictedSplit]:
    """The splits Open Dental's FIFO would make for a payment of ``amount`` by ``payer_id``.

    ``patient_first``: the API's ``isPatientPreferred``: the payer's own charges first, each
    group still oldest first (``PaymentEdit.ImplicitlyLinkCredits``: ``OrderBy(x => x.PatNum !=
    patNum).ThenBy(x => x.Date)``, a stable sort).
    """
    allowed = set(only_procs) if only_procs is not None else None
    remaining = amount
    result: list[PredictedSplit] = []
    ordered = sorted(charges, key=lambda c: c.patient_id != payer_id) if patient_first else charges
    for charge in ordered:
        if remaining <= ZERO:
            break
        if allowed is not None and (
            charge.kind is not ChargeKind.PROCEDURE or charge.charge_ref not in allowed
        ):
            continue
        part = min(remaining, charge.amount_due)
        if part <= ZERO:
            continue
        result.append(PredictedSplit(charge.charge_ref, charge.kind.value, charge.patient_id, part))
        remaining -= part
    if remaining > ZERO:
        result.append(PredictedSplit(None, None, payer_id, remaining))
    return result


def split_key(charge_ref: str | None, kind: str | None, amount: Decimal) -> tuple[str, str, str]:
    """Comparable identity of a split: which charge (or unearned) and how much."""
    return (kind or "unearned", charge_ref or "", f"{amount:.2f}")


def same_splits(plan: Sequence[Split], predicted: Sequence[PredictedSplit]) -> bool:
    """True when the plan's splits are exactly the predicted ones (order ignored)."""
    left = sorted(split_key(s.charge_ref, s.charge_kind if s.charge_ref else None, s.amount)
                  for s in plan)  # fmt: skip
    right = sorted(split_key(p.charge_ref, p.kind, p.amount) for p in predicted)
    return left == right
