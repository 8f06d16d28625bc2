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

from adapters.base import Ledger
from adapters.books import MerchantFees
from connector.domain import Item, PatientPaymentPlan
from connector.money import ZERO, fmt
from connector.records.stripe import StripeTransaction


def book_fee(plan: PatientPaymentPlan, item: Item, mode: str, ledger: Ledger) -> PatientPaymentPlan:
    """The plan with its fee booked as ``mode`` says (see the module docstring): the processor
    fee Stripe took (payload ``fee``, none when absent) as the payment's merchant fee, or as
    words appended to its note naming the amount and the Stripe transaction.

    Raises:
        DataError: the payload's fee is not an amount.
        TransientError: the ledger cannot say whether it stores merchant fees.
    """
    txn = StripeTransaction.from_json(item.payload)
    fee = ZERO if txn.fee is None else txn.fee
    if mode == "none" or fee <= ZERO:
        return plan
    if (
        mode == "merchant_fee"
        and isinstance(ledger, MerchantFees)
        and ledger.supports_merchant_fee()
    ):
        return dataclasses.replace(plan, merchant_fee=fee)
    words = f"processor fee {fmt(fee)} ({txn.txn or item.key})"
    note = f"{plan.note} {words}" if plan.note else words
    return dataclasses.replace(plan, note=note)
