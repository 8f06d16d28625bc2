"""Balance transactions become items of the right kind, status, amount and links."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.domain import ItemKind, ItemStatus
from connector.sources.stripe.classify import classify, kind_of
from connector.sources.stripe.patients import PatientLookup
from connector.sources.stripe.payout_items import failed_payout_item, manual_payout_notice

PAYOUT = {
    "id": "po_1",
    "object": "payout",
    "amount": 10000,
    "arrival_date": 1795132800,
    "automatic": True,
    "status": "paid",
    "method": "standard",
    "currency": "usd",
    "created": 1794927600,
    "failure_code": None,
    "failure_balance_transaction": None,
}
FOUND = PatientLookup("1234", "charge", None)


def charge(cid: str = "ch_1", method: str = "card", **extra: Any) -> dict[str, Any]:
    """A charge as expanded under ``source``."""
    return {"id": cid, "object": "charge", "amount": 12500, "customer": "cus_1",
            "payment_intent": {"id": "pi_1", "object": "payment_intent", "metadata": {},
                               "customer": "cus_1"},
            "metadata": {"pms_patient_id": "1234"}, "source_transfer": None,
            "payment_method_details": {"type": method, method: {}}, **extra}  # fmt: skip


def txn(type_: str, category: str, amount: int, source: Any, fee: int = 0) -> dict[str, Any]:
    """A balance transaction with an expanded source."""
    return {"id": f"txn_{type_}_{category}", "object": "balance_transaction", "amount": amount,
            "fee": fee, "net": amount - fee, "currency": "usd", "created": 1794900000,
            "type": type_, "reporting_category": category, "source": source,
            "status": "available"}  # fmt: skip


def refund_source() -> dict[str, Any]:
    return {"id": "re_1", "object": "refund", "charge": "ch_1", "payment_intent": "pi_1",
            "metadata": {}}  # fmt: skip


def dispute_source() -> dict[str, Any]:
    return {"id": "du_1", "object": "dispute", "charge": "ch_1", "payment_intent": "pi_1",
            "metadata": {}}  # fmt: skip


def item_of(t: dict[str, Any], patient: PatientLookup | None = FOUND):  # type: ignore[no-untyped-def]
    return classify(t, PAYOUT, account="acct_9", patient=patient, patient_key="pms_patient_id")


def test_card_charge_is_a_patient_payment_with_gross_fee_net_and_ids() -> None:
    """A card charge records gross, fee and net, the charge as related key, and the patient."""
    item = item_of(txn("charge", "charge", 12500, charge(), fee=393))
    assert item.kind is ItemKind.PATIENT_PAYMENT
    assert item.status is ItemStatus.RECEIVED
    assert item.key == "txn_charge_charge"
    assert item.amount == Decimal("125.00")
    assert item.group_key == "po_1" and item.related_key == "ch_1"
    p = item.payload
    assert (p["amount"], p["fee"], p["net"]) == ("125.00", "3.93", "121.07")
    assert (p["method"], p["patient_ref"], p["patient_ref_from"]) == ("card", "1234", "charge")
    assert (p["charge"], p["payment_intent"], p["customer"]) == ("ch_1", "pi_1", "cus_1")
    assert p["payout_arrival_date"] == "2026-11-20" and p["account"] == "acct_9"
    assert p["created"].endswith("+00:00")


def test_bank_debit_payment_records_us_bank_account_method() -> None:
    """An ACH Direct Debit payment says ``us_bank_account`` as its method."""
    item = item_of(txn("charge", "charge", 30000, charge(method="us_bank_account"), fee=240))
    assert item.payload["method"] == "us_bank_account"
    assert item.kind is ItemKind.PATIENT_PAYMENT


def test_connect_destination_payment_takes_method_and_ids_from_platform_charge() -> None:
    """A ``py_`` payment links to itself but reports the platform charge and its method."""
    platform = charge("ch_platform", method="card", customer="cus_p")
    py = charge("py_1", method="stripe_account", customer=None, payment_intent=None,
                metadata={}, source_transfer={"id": "tr_1", "object": "transfer",
                                              "source_transaction": platform})  # fmt: skip
    item = item_of(txn("payment", "charge", 17500, py))
    assert item.kind is ItemKind.PATIENT_PAYMENT
    assert item.related_key == "py_1"
    assert item.payload["platform_charge"] == "ch_platform"
    assert item.payload["method"] == "card"
    assert item.payload["customer"] == "cus_p"


@pytest.mark.parametrize("problem", ["missing", "malformed"])
def test_payment_without_usable_patient_goes_to_review_with_ids_only(problem: str) -> None:
    """Missing or malformed patient metadata → review ``patient_not_found``, no value kept."""
    lookup = PatientLookup(None, "charge" if problem == "malformed" else None, problem)
    item = item_of(txn("charge", "charge", 4500, charge()), lookup)
    assert item.status is ItemStatus.REVIEW
    assert item.review_reason == "patient_not_found"
    assert item.payload["patient_ref"] is None
    assert "ch_1" in (item.review_message or "")
    assert ("not a valid" in (item.review_message or "")) is (problem == "malformed")


@pytest.mark.parametrize(
    ("type_", "category", "amount", "source", "kind"),
    [
        ("refund", "refund", -2000, refund_source(), ItemKind.REFUND),
        ("payment_refund", "refund", -2000, refund_source(), ItemKind.REFUND),
        ("adjustment", "dispute", -20000, dispute_source(), ItemKind.DISPUTE),
        ("adjustment", "dispute_reversal", 15000, dispute_source(), ItemKind.DISPUTE_WON),
        ("payment_failure_refund", "charge_failure", -9000, charge(), ItemKind.ACH_RETURN),
    ],
)
def test_reversals_carry_the_original_charge(
    type_: str, category: str, amount: int, source: dict[str, Any], kind: ItemKind
) -> None:
    """Refunds, disputes (lost and won) and ACH returns link to the charge they reverse."""
    item = item_of(txn(type_, category, amount, source), None)
    assert item.kind is kind
    assert item.status is ItemStatus.RECEIVED
    assert item.related_key == "ch_1"
    assert item.payload["original_charge"] == "ch_1"
    assert item.amount == Decimal(amount) / 100


def test_dispute_adjustment_without_category_is_classified_by_sign() -> None:
    """An ``adjustment`` on a dispute without a known category is a dispute or a win by sign."""
    lost = txn("adjustment", "", -500, dispute_source())
    won = txn("adjustment", "", 500, dispute_source())
    assert kind_of(lost) is ItemKind.DISPUTE
    assert kind_of(won) is ItemKind.DISPUTE_WON


def test_payout_failure_transaction_goes_to_review() -> None:
    """Money returned from a failed payout is recorded for review ``payout_failed``."""
    item = item_of(txn("payout_failure", "payout_reversal", 50000, "po_0"), None)
    assert item.kind is ItemKind.PAYOUT_FAILURE
    assert item.status is ItemStatus.REVIEW and item.review_reason == "payout_failed"


def test_refund_failure_goes_to_review() -> None:
    """A failed refund brings money back; a person must undo the refund on the ledger."""
    item = item_of(txn("refund_failure", "refund_failure", 2000, refund_source()), None)
    assert item.kind is ItemKind.STRIPE_OTHER
    assert item.status is ItemStatus.REVIEW and item.review_reason == "refund_failed"


@pytest.mark.parametrize(
    ("type_", "category"),
    [("stripe_fee", "fee"), ("transfer", "transfer"), ("topup", "topup"), ("payout", "payout"),
     ("application_fee", "platform_earning")],
)  # fmt: skip
def test_everything_else_is_recorded_as_ignored_with_its_type(type_: str, category: str) -> None:
    """Fees, transfers and top-ups are kept as ignored items with a reason, never dropped
    (unknown types go to review: tests/sources/stripe/test_stripe_bad_input.py)."""
    item = item_of(txn(type_, category, -500, None), None)
    assert item.kind is ItemKind.STRIPE_OTHER
    assert item.status is ItemStatus.IGNORED
    assert item.payload["type"] == type_
    assert item.payload["ignored_reason"] == {"transfer": "connect_transfer",
                                              "application_fee": "connect_application_fee"}.get(
        type_, "not_patient_money")  # fmt: skip


def test_manual_payout_notice_is_one_review_item_keyed_by_payout() -> None:
    """A manual payout becomes ``po_…:manual_payout`` in review ``manual_payout_account``."""
    item = manual_payout_notice({**PAYOUT, "automatic": False}, account=None)
    assert item.key == "po_1:manual_payout"
    assert item.kind is ItemKind.PAYOUT_NOTICE
    assert item.review_reason == "manual_payout_account"
    assert item.amount == Decimal("100.00")


def test_failed_payout_item_is_negative_and_in_review() -> None:
    """A paid payout that failed becomes ``po_…:failed``: the money did not arrive."""
    item = failed_payout_item({**PAYOUT, "status": "failed", "failure_code": "account_closed"},
                              account="acct_9")  # fmt: skip
    assert item.key == "po_1:failed"
    assert item.amount == Decimal("-100.00")
    assert item.review_reason == "payout_failed"
    assert item.payload["failure_code"] == "account_closed"
