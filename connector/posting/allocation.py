"""Spread a patient payment over the family's open charges, exactly to the cent.

Two modes, as practices know them from payment-platform write-back screens:

* **allocate oldest first** — pay the family's open charges from the oldest date on
  (procedures before adjustments on the same date), each split carrying the charge's patient
  and provider; whatever is left becomes one unapplied split (credit / prepayment) on the
  paying patient. With ``patient_preferred`` the paying patient's own charges are paid first,
  then the rest of the family's.
* **post only** — one unallocated split for the whole amount.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from adapters.base import ChargeKind, OpenCharge
from connector.domain import Split
from connector.money import ZERO, to_money

_KIND_ORDER = {ChargeKind.PROCEDURE: 0, ChargeKind.ADJUSTMENT: 1}


def oldest_first(charges: Iterable[OpenCharge]) -> list[OpenCharge]:
    """Charges by date, procedures before adjustments on one date, then by charge id.

    The charge id makes the order total, so two runs over the same ledger allocate alike.
    """
    return sorted(charges, key=lambda c: (c.date, _KIND_ORDER.get(c.kind, 2), c.charge_ref))


def _check_amount(amount: Decimal) -> None:
    if amount <= ZERO or to_money(amount) != amount:
        raise ValueError(f"a payment to allocate must be a positive amount in cents: {amount}")


def allocate_oldest_first(
    amount: Decimal,
    charges: Sequence[OpenCharge],
    *,
    payer_id: str,
    payer_provider_id: str | None = None,
    patient_preferred: bool = False,
) -> tuple[Split, ...]:
    """Splits paying ``charges`` oldest first, then one unapplied split for any remainder.

    Args:
        amount: the payment (positive, whole cents).
        charges: the family's open charges in any order; those with nothing due are skipped.
        payer_id: the paying patient (gets the unapplied remainder).
        payer_provider_id: provider of the unapplied remainder (the payer's own provider).
        patient_preferred: pay ``payer_id``'s own charges before the rest of the family's.

    Raises:
        ValueError: ``amount`` is not positive or has fractions of a cent.
    """
    _check_amount(amount)
    ordered = oldest_first(c for c in charges if c.amount_due > ZERO)
    if patient_preferred:
        ordered = [c for c in ordered if c.patient_id == payer_id] + [
            c for c in ordered if c.patient_id != payer_id
        ]
    splits: list[Split] = []
    left = amount
    for charge in ordered:
        if left <= ZERO:
            break
        paid = min(left, charge.amount_due)
        splits.append(
            Split(
                amount=paid,
                patient_id=charge.patient_id,
                provider_id=charge.provider_id,
                charge_ref=charge.charge_ref,
                charge_kind=charge.kind.value,
            )
        )
        left -= paid
    if left > ZERO:
        splits.append(Split(amount=left, patient_id=payer_id, provider_id=payer_provider_id))
    return tuple(splits)


def post_only(
    amount: Decimal, *, payer_id: str, payer_provider_id: str | None = None
) -> tuple[Split, ...]:
    """One unallocated split for the whole payment on the paying patient.

    Raises:
        ValueError: ``amount`` is not positive or has fractions of a cent.
    """
    _check_amount(amount)
    return (Split(amount=amount, patient_id=payer_id, provider_id=payer_provider_id),)
