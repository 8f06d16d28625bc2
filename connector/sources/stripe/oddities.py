"""Balance transactions the classifier must not take at face value (pure functions).

Stripe's objects are well formed (shape problems are :mod:`.validate`'s job); these are
well-formed transactions that are still not an ordinary patient movement. Each is recorded:
to review with a plain reason, or ignored with a counted reason where nothing is owed to the
ledger. Nothing is dropped silently and nothing crashes the poll.

============================================  ===============================================
transaction                                   decision
============================================  ===============================================
a type Stripe documents that is not patient   ignored ``not_patient_money`` (fees, the
money (:data:`NOT_PATIENT_MONEY`)             payout's own debit, top-ups, reserves, …)
an ``adjustment`` not tied to a dispute, or   review ``stripe_transaction_unrecognised``
a type we do not know
patient money (payment, refund, dispute,      review ``stripe_currency_unsupported``
ACH return) in a currency other than USD,
or without a currency
patient money of 0.00                         ignored ``zero_amount`` (nothing moved)
patient money with the wrong sign (a          review ``stripe_amount_unexpected``
negative payment, a positive refund, …)
============================================  ===============================================

The type list is Stripe's published ``balance_transaction.type`` enum (API reference, read for
this module); a type added by Stripe later is reviewed until it is listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.domain import ItemKind, ItemStatus
from connector.money import fmt

CURRENCY = "usd"
"""The currency patient money must be in (US dental ledgers keep dollars)."""

NOT_PATIENT_MONEY = frozenset({
    "advance", "advance_funding", "anticipation_repayment", "application_fee",
    "application_fee_refund", "climate_order_purchase", "climate_order_refund",
    "connect_collection_transfer", "contribution", "issuing_authorization_hold",
    "issuing_authorization_release", "issuing_dispute", "issuing_transaction",
    "obligation_outbound", "obligation_reversal_inbound", "payment_network_reserve_hold",
    "payment_network_reserve_release", "payout", "payout_minimum_balance_hold",
    "payout_minimum_balance_release", "reserve_transaction", "reserved_funds", "stripe_fee",
    "stripe_fx_fee", "tax_fee", "topup", "topup_reversal", "transfer", "transfer_cancel",
    "transfer_failure", "transfer_refund",
})  # fmt: skip
"""Documented types that never hold a patient's money for the ledger."""

_SIGN = {
    ItemKind.PATIENT_PAYMENT: 1, ItemKind.DISPUTE_WON: 1,
    ItemKind.REFUND: -1, ItemKind.DISPUTE: -1, ItemKind.ACH_RETURN: -1,
}  # fmt: skip


@dataclass(frozen=True)
class Oddity:
    """How to record an odd transaction: ``ignored`` (counted reason) or ``review``."""

    status: ItemStatus
    reason: str
    message: str | None = None


def oddity(txn: dict[str, Any], kind: ItemKind, amount: Decimal) -> Oddity | None:
    """None for an ordinary transaction, else how to record it."""
    txn_type = str(txn.get("type") or "")
    where = f"Stripe transaction {txn['id']} ({txn_type or 'no type'}, {fmt(amount)})"
    if kind is ItemKind.STRIPE_OTHER:
        if txn_type == "refund_failure" or txn.get("reporting_category") == "refund_failure":
            return None  # classify reviews it as refund_failed
        if txn_type in NOT_PATIENT_MONEY:
            return Oddity(ItemStatus.IGNORED, "not_patient_money")
        if amount == 0:
            return Oddity(ItemStatus.IGNORED, "zero_amount")
        return Oddity(ItemStatus.REVIEW, "stripe_transaction_unrecognised",
                      f"{where} is not a kind the connector knows; if it is a patient's money "
                      "post it by hand, then resolve.")  # fmt: skip
    if kind not in _SIGN:
        return None
    currency = str(txn.get("currency") or "").lower()
    if currency != CURRENCY:
        named = currency.upper() or "no stated currency"
        return Oddity(ItemStatus.REVIEW, "stripe_currency_unsupported",
                      f"{where} is in {named}, not USD; post it by hand in dollars as the bank "
                      "received it, then resolve.")  # fmt: skip
    if amount == 0:
        return Oddity(ItemStatus.IGNORED, "zero_amount")
    if (amount > 0) != (_SIGN[kind] > 0):
        return Oddity(ItemStatus.REVIEW, "stripe_amount_unexpected",
                      f"{where} is a {kind.value.replace('_', ' ')} with the wrong sign; check "
                      "it in the Stripe dashboard and post it by hand, then resolve.")  # fmt: skip
    return None
