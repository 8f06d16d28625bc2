"""A small Stripe data set for end-to-end tests: one family payment, and its refund later.

Per practice: payout A (paid two days ago) holds one card payment by the practice's first
patient id; payout B (still ``in_transit``) holds a partial refund of that payment.
:func:`land` turns payout B paid, as when the bank receives it, so a later cycle sees the
refund after the payment was posted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from workshop.sandbox.stripe_data import DAY, Builder, DemoPractice, KeyGrant, StripeDataset

PAYMENT_CENTS = 8_000  # Open Dental: with patient_preferred it stays on procedures
REFUND_CENTS = 3_000


def family_dataset(practices: Sequence[DemoPractice], now: dt.datetime) -> StripeDataset:
    """The data set (see the module docstring); ``practices[i].patient_ids[0]`` pays."""
    data = StripeDataset()
    ts = int(now.timestamp())
    for index, practice in enumerate(practices):
        b = Builder(data, ts, tag=f"F{index}")
        acct = data.account(practice.account or b.new_id("acct"))
        data.keys[practice.api_key] = KeyGrant(acct.id)
        meta = {"pms_patient_id": practice.patient_ids[0]}
        _, charge = b.payment(acct, PAYMENT_CENTS, created=ts - 4 * DAY, charge_metadata=meta)
        b.payout(acct, list(acct.transactions), arrival=ts - 2 * DAY)
        start = len(acct.transactions)
        b.refund(acct, charge, REFUND_CENTS, ts - 2 * DAY)
        later = b.payout(acct, acct.transactions[start:], arrival=ts - 3600, status="in_transit")
        later["metadata"] = {"sandbox": "later"}
    return data


def land(data: StripeDataset, account_id: str, *, paid: bool = True) -> str:
    """Mark the account's later payout paid and reconciled (or back in transit); its id."""
    account = data.accounts[account_id]
    payout = next(p for p in account.payouts if p["metadata"].get("sandbox") == "later")
    payout["status"] = "paid" if paid else "in_transit"
    payout["reconciliation_status"] = "completed" if paid else "in_progress"
    return str(payout["id"])


def payment_charge(data: StripeDataset, account_id: str) -> str:
    """The id of the account's one payment charge."""
    account = data.accounts[account_id]
    return next(k for k, v in account.objects.items() if v.get("object") == "charge")
