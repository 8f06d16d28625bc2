"""Pure functions: Stripe balance transactions and payouts → items (see docs/payloads.md).

Classification uses ``reporting_category`` first (Stripe's own advice for accounting), then
``type`` for transactions whose category we do not know:

=========================================  ======================  ==========================
reporting_category / type                  kind                    initial status
=========================================  ======================  ==========================
``charge`` / ``charge``, ``payment``       ``patient_payment``     received (review without a
                                                                   usable patient id)
``refund`` / ``refund``,                   ``refund``              received
``payment_refund``, ``payment_reversal``
``dispute`` / ``adjustment``               ``dispute``             received
``dispute_reversal`` / ``adjustment``      ``dispute_won``         received
``charge_failure`` /                       ``ach_return``          received
``payment_failure_refund``
``payout_reversal`` / ``payout_failure``,  ``payout_failure``      review ``payout_failed``
``payout_cancel``                                                  (the source links it to its
                                                                   failed payout: .failures)
``refund_failure``                         ``stripe_other``        review ``refund_failed``
anything else (fees, transfers, top-ups,   ``stripe_other``        ignored
the payout's own debit)
Connect: owned by another account's        ``stripe_other``        ignored (``connect_reason``
practice (:mod:`.connect`)                                         in the payload) or review
                                                                   ``connect_platform_reversal``
=========================================  ======================  ==========================

The ``charge_failure`` ↔ ``payment_failure_refund`` pairing for ACH returns and the
``payment_reversal`` type as a refund are read from Stripe's type list, not verified against
a live account.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from connector.domain import ItemKind, ItemStatus, NewItem
from connector.money import fmt, from_minor_units
from connector.records.stripe import StripeTransaction
from connector.sources.stripe.connect import Ownership, ownership
from connector.sources.stripe.oddities import oddity
from connector.sources.stripe.patients import PatientLookup, platform_charge
from connector.sources.stripe.payout_items import day_of, moment_of, payout_record, stripe_id

_BY_CATEGORY = {
    "charge": ItemKind.PATIENT_PAYMENT,
    "refund": ItemKind.REFUND,
    "dispute": ItemKind.DISPUTE,
    "dispute_reversal": ItemKind.DISPUTE_WON,
    "charge_failure": ItemKind.ACH_RETURN,
    "payout_reversal": ItemKind.PAYOUT_FAILURE,
}
_BY_TYPE = {
    "charge": ItemKind.PATIENT_PAYMENT,
    "payment": ItemKind.PATIENT_PAYMENT,
    "refund": ItemKind.REFUND,
    "payment_refund": ItemKind.REFUND,
    "payment_reversal": ItemKind.REFUND,
    "payment_failure_refund": ItemKind.ACH_RETURN,
    "payout_failure": ItemKind.PAYOUT_FAILURE,
    "payout_cancel": ItemKind.PAYOUT_FAILURE,
}
PLACE_WORDS = {"charge": "charge", "payment_intent": "payment intent", "customer": "customer"}


def kind_of(txn: dict[str, Any]) -> ItemKind:
    """The item kind of one balance transaction (``stripe_other`` when not a patient matter)."""
    category = txn.get("reporting_category")
    txn_type = txn.get("type")
    if txn_type == "refund_failure" or category == "refund_failure":
        return ItemKind.STRIPE_OTHER
    if category in _BY_CATEGORY:
        return _BY_CATEGORY[str(category)]
    if txn_type in _BY_TYPE:
        return _BY_TYPE[str(txn_type)]
    source = txn.get("source")
    if txn_type == "adjustment" and isinstance(source, dict) and source.get("object") == "dispute":
        return ItemKind.DISPUTE if int(txn.get("amount", 0)) < 0 else ItemKind.DISPUTE_WON
    return ItemKind.STRIPE_OTHER


def needs_patient(txn: dict[str, Any], account: str | None = None) -> bool:
    """True when the transaction is this account's patient payment, whose patient id is needed.

    A Connect destination charge seen on the platform belongs to the connected account's
    practice (:mod:`.connect`), so no customer is read for it here.
    """
    return kind_of(txn) is ItemKind.PATIENT_PAYMENT and ownership(txn, account) is None


def _source_ids(source: Any) -> dict[str, str | None]:
    """Ids named by the transaction's source object (charge, refund or dispute)."""
    ids: dict[str, str | None] = dict.fromkeys(
        ("charge", "payment_intent", "customer", "refund", "dispute", "original_charge",
         "platform_charge", "method"))  # fmt: skip
    if isinstance(source, str):
        prefix = source.split("_", 1)[0]
        field = {"ch": "charge", "py": "charge", "re": "refund", "pyr": "refund",
                 "du": "dispute", "dp": "dispute"}.get(prefix)  # fmt: skip
        if field:
            ids[field] = source
        return ids
    if not isinstance(source, dict):
        return ids
    obj = source.get("object")
    intent = source.get("payment_intent")
    ids["payment_intent"] = stripe_id(intent)
    if obj == "charge":
        upstream = platform_charge(source)
        ids["charge"] = stripe_id(source)
        ids["platform_charge"] = stripe_id(upstream)
        ids["customer"] = stripe_id(source.get("customer")) or (
            stripe_id(intent.get("customer")) if isinstance(intent, dict) else None)  # fmt: skip
        ids["method"] = _method(source)
        if upstream is not None:
            ids["payment_intent"] = ids["payment_intent"] or stripe_id(
                upstream.get("payment_intent")
            )
            ids["customer"] = ids["customer"] or stripe_id(upstream.get("customer"))
            if ids["method"] in (None, "stripe_account"):
                ids["method"] = _method(upstream) or ids["method"]
    elif obj == "refund":
        ids["refund"] = stripe_id(source)
        ids["charge"] = ids["original_charge"] = stripe_id(source.get("charge"))
    elif obj == "dispute":
        ids["dispute"] = stripe_id(source)
        ids["charge"] = ids["original_charge"] = stripe_id(source.get("charge"))
    return ids


def _method(charge: dict[str, Any]) -> str | None:
    details = charge.get("payment_method_details")
    method = details.get("type") if isinstance(details, dict) else None
    return method if isinstance(method, str) else None


def classify(
    txn: dict[str, Any],
    payout: dict[str, Any],
    *,
    account: str | None,
    patient: PatientLookup | None,
    patient_key: str,
) -> NewItem:
    """One balance transaction of one payout as an item (status, review reason and payload)."""
    kind = kind_of(txn)
    ids = _source_ids(txn.get("source"))
    if kind is ItemKind.ACH_RETURN and ids["original_charge"] is None:
        ids["original_charge"] = ids["charge"]
    currency = txn.get("currency")  # Stripe amounts are in this currency's minor units
    amount = from_minor_units(int(txn["amount"]), currency)
    record = StripeTransaction(
        txn=txn["id"], payout=payout["id"], payout_arrival_date=day_of(payout.get("arrival_date")),
        type=txn.get("type"), reporting_category=txn.get("reporting_category"),
        charge=ids["charge"], payment_intent=ids["payment_intent"], customer=ids["customer"],
        refund=ids["refund"], dispute=ids["dispute"], original_charge=ids["original_charge"],
        platform_charge=ids["platform_charge"],
        patient_ref=patient.value if patient else None,
        patient_ref_from=patient.found_in if patient and patient.value else None,
        amount=amount, fee=from_minor_units(int(txn.get("fee") or 0), currency),
        net=from_minor_units(int(txn.get("net") or 0), currency), currency=currency,
        method=ids["method"], created=moment_of(txn.get("created")), account=account,
    )  # fmt: skip
    owned = ownership(txn, account)
    if owned is not None:
        return _owned_elsewhere(txn, payout, record, owned, amount)
    status, reason, message = ItemStatus.RECEIVED, None, None
    related = ids["original_charge"]
    odd = oddity(txn, kind, amount)
    if odd is not None:
        status = odd.status
        if odd.status is ItemStatus.IGNORED:
            record = replace(record, ignored_reason=odd.reason)
        else:
            reason, message = odd.reason, odd.message
        if kind is ItemKind.PATIENT_PAYMENT:
            related = ids["charge"]
    elif kind is ItemKind.PATIENT_PAYMENT:
        related = ids["charge"]
        if patient is None or patient.value is None:
            status, reason = ItemStatus.REVIEW, "patient_not_found"
            message = _patient_message(patient, patient_key, ids["charge"] or txn["id"])
    elif kind is ItemKind.PAYOUT_FAILURE:
        source = txn.get("source")
        failed = stripe_id(source)
        if failed and failed.startswith("po_"):  # the failed payout whose money came back
            related = failed
            detail = (
                source if isinstance(source, dict) and source.get("object") == "payout" else None
            )
            record = replace(record, failed_payout=failed, failed_payout_detail=(
                None if detail is None else payout_record(detail, account)))  # fmt: skip
        status, reason = ItemStatus.REVIEW, "payout_failed"
        message = (f"Stripe returned {fmt(amount)} from a failed payout ({txn['id']}) in payout "
                   f"{payout['id']}; check that the failed payout's payments are on the ledger "
                   "only once.")  # fmt: skip
    elif txn.get("type") == "refund_failure" or txn.get("reporting_category") == "refund_failure":
        status, reason = ItemStatus.REVIEW, "refund_failed"
        message = (f"A refund of {ids['original_charge'] or 'a payment'} failed and "
                   f"{fmt(amount)} came back in payout {payout['id']}; undo the refund on "
                   "the ledger by hand.")  # fmt: skip
    elif kind is ItemKind.STRIPE_OTHER:
        status = ItemStatus.IGNORED
    return NewItem(
        key=str(txn["id"]), kind=kind, payload=record.to_json(), amount=amount, status=status,
        group_key=str(payout["id"]), related_key=related, review_reason=reason,
        review_message=message,
    )  # fmt: skip


def _owned_elsewhere(
    txn: dict[str, Any],
    payout: dict[str, Any],
    record: StripeTransaction,
    owned: Ownership,
    amount: Decimal,
) -> NewItem:
    """A Connect transaction another account's practice records: ignored, or review."""
    record = replace(record, patient_ref=None, patient_ref_from=None,
                     connect_reason=owned.reason, owner_account=owned.owner)  # fmt: skip
    if not owned.review:
        record = replace(record, ignored_reason=owned.reason)
        return NewItem(key=str(txn["id"]), kind=ItemKind.STRIPE_OTHER, payload=record.to_json(),
                       amount=amount, status=ItemStatus.IGNORED, group_key=str(payout["id"]),
                       related_key=record.charge)  # fmt: skip
    what = "dispute" if record.dispute else "refund"
    return NewItem(
        key=str(txn["id"]), kind=ItemKind.STRIPE_OTHER, payload=record.to_json(), amount=amount,
        status=ItemStatus.REVIEW, group_key=str(payout["id"]),
        related_key=record.original_charge, review_reason="connect_platform_reversal",
        review_message=(
            f"A {what} of {fmt(-amount if amount < 0 else amount)} ({txn['id']}) of destination "
            f"charge {record.original_charge} was taken from this platform account in payout "
            f"{payout['id']}; the payment itself belongs to connected account {owned.owner} and "
            "was posted by that account's practice, whose Stripe account did not give the money "
            "back. Reverse it on that practice's ledger by hand if the patient was refunded, "
            "then resolve."),
    )  # fmt: skip


def _patient_message(patient: PatientLookup | None, key: str, charge: str) -> str:
    if patient is not None and patient.problem == "malformed" and patient.found_in:
        where = PLACE_WORDS.get(patient.found_in, patient.found_in)
        return (
            f"The value under metadata key '{key}' on the {where} of {charge} is not a "
            "valid PMS patient id; find who paid, then `connector retry ID --patient PMS_ID`, "
            "or post it by hand."
        )
    return (
        f"No patient id under metadata key '{key}' on the charge, payment intent or "
        f"customer of {charge}; find who paid, then `connector retry ID --patient PMS_ID`, "
        "or post it by hand."
    )
