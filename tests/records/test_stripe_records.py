"""Stripe records: today's stored JSON reads, and writes back exactly; bad fields are named."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from connector import jsonutil
from connector.domain import ItemKind, NewItem
from connector.errors import DataError
from connector.records.stripe import StripePayout, StripeTransaction, stripe_record

# A patient payment's payload exactly as releases before the records stored it.
STORED_PAYMENT: dict[str, Any] = {
    "txn": "txn_1", "payout": "po_1", "payout_arrival_date": "2026-11-20", "type": "charge",
    "reporting_category": "charge", "charge": "ch_1", "payment_intent": "pi_1",
    "customer": "cus_1", "refund": None, "dispute": None, "original_charge": None,
    "platform_charge": None, "patient_ref": "1234", "patient_ref_from": "customer",
    "amount": "125.00", "fee": "3.93", "net": "121.07", "currency": "usd", "method": "card",
    "created": "2026-11-18T15:04:05+00:00", "account": None,
}  # fmt: skip
STORED_PAYOUT: dict[str, Any] = {
    "payout": "po_9", "payout_arrival_date": "2026-11-10", "status": "failed",
    "automatic": True, "payout_method": "standard", "failure_code": "account_closed",
    "failure_balance_transaction": "txn_f", "amount": "300.00", "currency": "usd",
    "created": "2026-11-08T10:00:00+00:00", "account": "acct_1",
}  # fmt: skip
# the money of that failed payout coming back, linked to it (ignored)
STORED_RETURN: dict[str, Any] = {
    **STORED_PAYMENT, "txn": "txn_2", "type": "payout_failure",
    "reporting_category": "payout_reversal", "charge": None, "payment_intent": None,
    "customer": None, "patient_ref": None, "patient_ref_from": None, "method": None,
    "amount": "300.00", "fee": "0.00", "net": "300.00",
    "failed_payout": "po_9", "failed_payout_detail": STORED_PAYOUT,
    "ignored_reason": "payout_failure_returned",
}  # fmt: skip
# a Connect transaction another account's practice owns
STORED_CONNECT: dict[str, Any] = {
    **STORED_PAYMENT, "patient_ref": None, "patient_ref_from": None,
    "platform_charge": "ch_p", "connect_reason": "connect_destination_charge",
    "owner_account": "acct_2", "ignored_reason": "connect_destination_charge",
}  # fmt: skip

# a Connect transfer: its owner is not named, and the key is still written (as null)
STORED_TRANSFER: dict[str, Any] = {
    **STORED_PAYMENT, "type": "transfer", "reporting_category": "transfer", "charge": None,
    "payment_intent": None, "customer": None, "patient_ref": None, "patient_ref_from": None,
    "method": None, "connect_reason": "connect_transfer", "owner_account": None,
    "ignored_reason": "connect_transfer",
}  # fmt: skip


def _text(payload: dict[str, Any]) -> str:
    return jsonutil.dumps(payload)


def test_payment_reads_todays_stored_form() -> None:
    """A stored patient payment reads into typed fields (Decimal money, aware datetimes)."""
    payment = StripeTransaction.from_json(STORED_PAYMENT)
    assert (payment.amount, payment.fee) == (Decimal("125.00"), Decimal("3.93"))
    assert payment.created == dt.datetime(2026, 11, 18, 15, 4, 5, tzinfo=dt.UTC)
    assert payment.payout_arrival_date == dt.date(2026, 11, 20)
    assert payment.reference == "ch_1" and payment.patient_ref == "1234"
    assert payment.failed_payout_detail is None and not payment.is_fee


@pytest.mark.parametrize("stored", [STORED_PAYMENT, STORED_RETURN, STORED_CONNECT, STORED_TRANSFER])
def test_transaction_round_trips_exactly(stored: dict[str, Any]) -> None:
    """from_json then to_json gives the stored JSON back (optional keys only when set)."""
    assert _text(StripeTransaction.from_json(stored).to_json()) == _text(stored)


def test_payout_round_trips_exactly() -> None:
    """A payout payload (payout_notice, po_…:failed) reads and writes back exactly."""
    payout = StripePayout.from_json(STORED_PAYOUT)
    assert payout.amount == Decimal("300.00") and payout.automatic is True
    assert _text(payout.to_json()) == _text(STORED_PAYOUT)


def test_stripe_record_picks_the_form_by_kind_and_key() -> None:
    """The po_…:failed and manual payout items carry a payout; the rest a transaction."""
    failed = NewItem("po_9:failed", ItemKind.PAYOUT_FAILURE, STORED_PAYOUT, Decimal("-300"))
    notice = NewItem("po_9:manual_payout", ItemKind.PAYOUT_NOTICE, STORED_PAYOUT, Decimal(300))
    back = NewItem("txn_2", ItemKind.PAYOUT_FAILURE, STORED_RETURN, Decimal(300))
    assert isinstance(stripe_record(failed), StripePayout)
    assert isinstance(stripe_record(notice), StripePayout)
    assert isinstance(stripe_record(back), StripeTransaction)


@pytest.mark.parametrize(
    ("name", "value"),
    [("amount", 125.0), ("fee", "x"), ("created", "yesterday"), ("charge", ["ch_1"]),
     ("failed_payout_detail", "po_9"), ("payout_arrival_date", "20/11/2026")],
)  # fmt: skip
def test_bad_field_is_named(name: str, value: Any) -> None:
    """A malformed field raises DataError (payload_invalid) naming the field."""
    data = copy.deepcopy(STORED_PAYMENT)
    data[name] = value
    with pytest.raises(DataError) as caught:
        StripeTransaction.from_json(data)
    assert caught.value.code == "payload_invalid" and repr(name) in caught.value.message
