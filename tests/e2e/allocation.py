"""What a payment should pay, computed from the PMS's open charges the way the rules say.

Independent of the posting engine: oldest first as the adapter lists the family's charges
(``patient_preferred``: the paying patient's own charges first), any remainder unapplied.
"""

from __future__ import annotations

from decimal import Decimal

from adapters.base import OpenCharge

Split = tuple[str, str | None, str, Decimal]  # kind, charge ref, patient, amount


def expected_splits(
    charges: list[OpenCharge], amount: Decimal, payer: str, *, patient_preferred: bool = False
) -> list[Split]:
    """The splits of ``amount`` over ``charges`` (already oldest first)."""
    ordered = list(charges)
    if patient_preferred:
        ordered = [c for c in charges if c.patient_id == payer] + [
            c for c in charges if c.patient_id != payer
        ]
    left = amount
    splits: list[Split] = []
    for charge in ordered:
        take = min(left, charge.amount_due)
        if take > 0:
            splits.append((charge.kind.value, charge.charge_ref, charge.patient_id, take))
            left -= take
    if left > 0:
        splits.append(("unearned", None, payer, left))
    return splits
