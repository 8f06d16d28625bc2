"""The Stripe items' records (docs/payloads.md, source ``stripe``).

Two JSON forms exist, so two records:

* :class:`StripeTransaction`: every item recorded from a balance transaction (key ``txn_…``):
  ``patient_payment``, ``refund``, ``dispute``, ``dispute_won``, ``ach_return``,
  ``payout_failure`` (the money of a failed payout coming back) and ``stripe_other`` (fees,
  transfers, the payout's own debit …). The kind says what it is; the fields are the same.
* :class:`StripePayout`: the items that describe a payout itself (``payout_notice`` keyed
  ``po_…:manual_payout``, ``payout_failure`` keyed ``po_…:failed``), and a transaction's
  ``failed_payout_detail``.

:mod:`connector.sources.stripe.classify` builds them and stores ``to_json()``; the posting
rules, reports and console read them with ``from_json`` (:func:`stripe_record` picks the form).
Every field is optional: items recorded by any release read, and the readers say what an absent
field means (``txn`` falls back to the item key, ``fee`` to 0.00 …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, Self

from connector.domain import ItemKind
from connector.errors import DataError
from connector.records import fields

FAILED_PAYOUT_SUFFIX = ":failed"
MANUAL_PAYOUT_SUFFIX = ":manual_payout"
FEE_TYPES = frozenset({"stripe_fee", "application_fee"})


@dataclass(frozen=True, slots=True)
class StripePayout:
    """A payout as the items about it store it (amount in the practice's currency)."""

    payout: str | None
    payout_arrival_date: dt.date | None
    status: str | None
    automatic: bool | None
    payout_method: str | None
    failure_code: str | None
    failure_balance_transaction: str | None
    amount: Decimal | None
    currency: str | None
    created: dt.datetime | None
    account: str | None

    def to_json(self) -> dict[str, Any]:
        """The payout payload of docs/payloads.md."""
        return {
            "payout": self.payout,
            "payout_arrival_date": fields.iso(self.payout_arrival_date),
            "status": self.status,
            "automatic": self.automatic,
            "payout_method": self.payout_method,
            "failure_code": self.failure_code,
            "failure_balance_transaction": self.failure_balance_transaction,
            "amount": fields.amount_text(self.amount),
            "currency": self.currency,
            "created": fields.iso(self.created),
            "account": self.account,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The payout in ``data``.

        Raises:
            DataError: a field is malformed (code ``payload_invalid``).
        """
        return cls(
            payout=fields.stored_text(data, "payout"),
            payout_arrival_date=fields.date(data, "payout_arrival_date"),
            status=fields.stored_text(data, "status"),
            automatic=fields.optional_flag(data, "automatic"),
            payout_method=fields.stored_text(data, "payout_method"),
            failure_code=fields.stored_text(data, "failure_code"),
            failure_balance_transaction=fields.stored_text(data, "failure_balance_transaction"),
            amount=fields.optional_money(data, "amount"),
            currency=fields.stored_text(data, "currency"),
            created=fields.timestamp(data, "created"),
            account=fields.stored_text(data, "account"),
        )


_IDS = (
    "txn", "payout", "type", "reporting_category", "charge", "payment_intent", "customer",
    "refund", "dispute", "original_charge", "platform_charge", "patient_ref",
    "patient_ref_from", "currency", "method", "account",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StripeTransaction:
    """One balance transaction of a payout: its ids, amounts (Decimal) and Stripe's words.

    ``patient_ref`` is the PMS patient id found in metadata (``patient_ref_from`` says where);
    the last five fields appear in the JSON only when set: ``connect_reason`` with
    ``owner_account`` (a Connect transaction another account's practice owns; the owner may be
    null),
    ``ignored_reason``, ``failed_payout`` and ``failed_payout_detail`` (money of a failed
    payout coming back).
    """

    txn: str | None
    payout: str | None
    payout_arrival_date: dt.date | None
    type: str | None
    reporting_category: str | None
    charge: str | None
    payment_intent: str | None
    customer: str | None
    refund: str | None
    dispute: str | None
    original_charge: str | None
    platform_charge: str | None
    patient_ref: str | None
    patient_ref_from: str | None
    amount: Decimal | None
    fee: Decimal | None
    net: Decimal | None
    currency: str | None
    method: str | None
    created: dt.datetime | None
    account: str | None
    connect_reason: str | None = None
    owner_account: str | None = None
    ignored_reason: str | None = None
    failed_payout: str | None = None
    failed_payout_detail: StripePayout | None = None

    @property
    def reference(self) -> str:
        """The processor reference staff can search for: charge, else payment intent, else
        the transaction, else ``unknown``."""
        return self.charge or self.payment_intent or self.txn or "unknown"

    @property
    def is_fee(self) -> bool:
        """A Stripe fee transaction (not patient money): category ``fee`` or a fee type."""
        return self.reporting_category == "fee" or self.type in FEE_TYPES

    @property
    def is_payout_debit(self) -> bool:
        """The payout's own debit (type ``payout``): the money that left for the bank."""
        return self.type == "payout"

    def to_json(self) -> dict[str, Any]:
        """The transaction payload of docs/payloads.md."""
        data: dict[str, Any] = {name: getattr(self, name) for name in _IDS}
        data["payout_arrival_date"] = fields.iso(self.payout_arrival_date)
        data["created"] = fields.iso(self.created)
        for name in ("amount", "fee", "net"):
            data[name] = fields.amount_text(getattr(self, name))
        if self.connect_reason is not None:  # with its owner, even when Stripe names none
            data["connect_reason"] = self.connect_reason
            data["owner_account"] = self.owner_account
        for name in ("ignored_reason", "failed_payout"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.failed_payout_detail is not None:
            data["failed_payout_detail"] = self.failed_payout_detail.to_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The transaction in ``data``.

        Raises:
            DataError: a field is malformed (code ``payload_invalid``).
        """
        detail = fields.record(data, "failed_payout_detail")
        text = fields.stored_text
        return cls(
            txn=text(data, "txn"),
            payout=text(data, "payout"),
            payout_arrival_date=fields.date(data, "payout_arrival_date"),
            type=text(data, "type"),
            reporting_category=text(data, "reporting_category"),
            charge=text(data, "charge"),
            payment_intent=text(data, "payment_intent"),
            customer=text(data, "customer"),
            refund=text(data, "refund"),
            dispute=text(data, "dispute"),
            original_charge=text(data, "original_charge"),
            platform_charge=text(data, "platform_charge"),
            patient_ref=text(data, "patient_ref"),
            patient_ref_from=text(data, "patient_ref_from"),
            amount=fields.optional_money(data, "amount"),
            fee=fields.optional_money(data, "fee"),
            net=fields.optional_money(data, "net"),
            currency=text(data, "currency"),
            method=text(data, "method"),
            created=fields.timestamp(data, "created"),
            account=text(data, "account"),
            connect_reason=text(data, "connect_reason"),
            owner_account=text(data, "owner_account"),
            ignored_reason=text(data, "ignored_reason"),
            failed_payout=text(data, "failed_payout"),
            failed_payout_detail=None if detail is None else StripePayout.from_json(detail),
        )


class StripeItem(Protocol):
    """What the readers need of an item, recorded (``Item``) or about to be (``NewItem``)."""

    @property
    def key(self) -> str:
        """The item's key."""

    @property
    def kind(self) -> ItemKind:
        """The item's kind."""

    @property
    def payload(self) -> dict[str, Any]:
        """The item's JSON payload."""


STRIPE_KINDS = frozenset(
    {
        ItemKind.PATIENT_PAYMENT, ItemKind.REFUND, ItemKind.DISPUTE, ItemKind.DISPUTE_WON,
        ItemKind.ACH_RETURN, ItemKind.PAYOUT_FAILURE, ItemKind.PAYOUT_NOTICE,
        ItemKind.STRIPE_OTHER,
    }
)  # fmt: skip
"""The kinds the Stripe source records (a payout's group also holds its ``deposit``)."""


def is_payout_item(item: StripeItem) -> bool:
    """True for the items that carry a payout, not a transaction (see the module docstring)."""
    return item.kind is ItemKind.PAYOUT_NOTICE or (
        item.kind is ItemKind.PAYOUT_FAILURE and item.key.endswith(FAILED_PAYOUT_SUFFIX)
    )


def stripe_record(item: StripeItem) -> StripeTransaction | StripePayout:
    """The record of a Stripe item, in the form its kind and key say.

    Raises:
        DataError: a field is malformed (code ``payload_invalid``).
    """
    if is_payout_item(item):
        return StripePayout.from_json(item.payload)
    return StripeTransaction.from_json(item.payload)


def transaction_of(item: StripeItem) -> StripeTransaction | None:
    """The balance transaction of a Stripe item; None for the items about a payout and for
    other sources' kinds (a payout's ``deposit``).

    Raises:
        DataError: a field is malformed (code ``payload_invalid``).
    """
    if item.kind not in STRIPE_KINDS:
        return None
    found = stripe_record(item)
    return found if isinstance(found, StripeTransaction) else None


def readable_transaction(item: StripeItem) -> StripeTransaction | None:
    """:func:`transaction_of`, or None when the payload cannot be read (for reports and
    scans over many items, where one bad payload must not stop the rest)."""
    try:
        return transaction_of(item)
    except DataError:
        return None
