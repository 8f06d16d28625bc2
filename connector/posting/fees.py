"""Booking the processor fee of a cleared patient payment (``writeback.fees``).

The patient is always credited the **gross** amount; the fee is the practice's cost, so it is
never written as a patient charge or adjustment. The practice chooses:

* ``merchant_fee`` — on the payment row's own fee field where the PMS has one (Open Dental's
  ``payment.MerchantFee``, version-gated by the adapter); where it has none, as ``note``;
* ``note`` — appended to the payment note, with the Stripe transaction it came from;
* ``none`` — not booked (it stays visible in ``report payouts``).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from adapters.base import Ledger
from adapters.books import MerchantFees
from connector.domain import Item, PatientPaymentPlan
from connector.money import ZERO, fmt
from connector.records.stripe import StripeTransaction


def fee_of(item: Item) -> Decimal:
    """The processor fee Stripe took on this payment (payload ``fee``), 0.00 when none.

    Raises:
        DataError: the payload's fee is not an amount.
    """
    fee = StripeTransaction.from_json(item.payload).fee
    return ZERO if fee is None else fee


def fee_note(item: Item) -> str:
    """The words appended to the payment note: amount and the Stripe transaction."""
    txn = StripeTransaction.from_json(item.payload).txn or item.key
    return f"processor fee {fmt(fee_of(item))} ({txn})"


def book_fee(plan: PatientPaymentPlan, item: Item, mode: str, ledger: Ledger) -> PatientPaymentPlan:
    """The plan with its fee booked as ``mode`` says (see the module docstring).

    Raises:
        TransientError: the ledger cannot say whether it stores merchant fees.
    """
    fee = fee_of(item)
    if mode == "none" or fee <= ZERO:
        return plan
    if (
        mode == "merchant_fee"
        and isinstance(ledger, MerchantFees)
        and ledger.supports_merchant_fee()
    ):
        return dataclasses.replace(plan, merchant_fee=fee)
    note = f"{plan.note} {fee_note(item)}" if plan.note else fee_note(item)
    return dataclasses.replace(plan, note=note)
