"""An item's payload in plain words for its page ("What came in"): ids, dates and amounts.

Read through the item's record (:mod:`connector.records`); the kinds the poster derives, and a
payload that cannot be read, are shown as stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import InvalidOperation

from connector.console.context import money
from connector.domain import Item, ItemKind
from connector.errors import DataError
from connector.records.era import readable_claim
from connector.records.era_remittance import readable_remittance
from connector.records.fields import iso
from connector.records.stripe import (
    STRIPE_KINDS,
    is_payout_item,
    readable_transaction,
    stripe_record,
)

# (label, payload key, is money) shown under "What came in", in this order, when present.
ERA_FACTS = (
    ("Payer", "payer_name", False),
    ("Check / EFT trace", "trace", False),
    ("Paid on", "payment_date", False),
    ("Method", "method", False),
    ("Claim (patient control no.)", "patient_control", False),
    ("Payer claim no.", "payer_claim_control", False),
    ("Service dates", "service_from", False),
    ("Billed", "charge", True),
    ("Paid by the payer", "paid", True),
    ("Patient owes", "patient_responsibility", True),
)
STRIPE_FACTS = (
    ("Payout arrives", "payout_arrival_date", False),
    ("Card fee", "fee", True),
    ("Net to the bank", "net", True),
    ("Method", "method", False),
    ("Charge", "charge", False),
    ("Original charge", "original_charge", False),
)


def facts(item: Item) -> list[tuple[str, str]]:
    """The item's payload in plain words (ids, dates and amounts only)."""
    found = []
    values = _era_values(item) if item.source == "era" else _stripe_values(item)
    for label, key, is_money in ERA_FACTS if item.source == "era" else STRIPE_FACTS:
        value = values.get(key)
        if value in (None, "", []):
            continue
        if key == "service_from" and values.get("service_to") not in (None, value):
            value = f"{value} to {values['service_to']}"
        found.append((label, _money_or_text(value) if is_money else str(value)))
    if item.kind is ItemKind.ERA_CLAIM and values.get("status"):
        found.insert(0, ("Claim status", _status_words(str(values["status"]))))
    return found


def _era_values(item: Item) -> Mapping[str, object]:
    """The facts of an ERA item by their payload names, read through its record (the kinds
    the poster derives, and a payload that cannot be read, are shown as stored)."""
    claim = readable_claim(item) if item.kind is ItemKind.ERA_CLAIM else None
    if claim is not None:
        return {
            "payer_name": claim.payer_name, "trace": claim.trace,
            "payment_date": iso(claim.payment_date), "method": claim.method,
            "patient_control": claim.patient_control, "status": claim.status,
            "payer_claim_control": claim.payer_claim_control,
            "service_from": iso(claim.service_from), "service_to": iso(claim.service_to),
            "charge": claim.charge, "paid": claim.paid,
            "patient_responsibility": claim.patient_responsibility,
        }  # fmt: skip
    remittance = readable_remittance(item) if item.kind is ItemKind.ERA_REMITTANCE else None
    if remittance is not None:
        return {
            "payer_name": remittance.payer_name, "trace": remittance.trace,
            "payment_date": iso(remittance.payment_date), "method": remittance.method,
        }  # fmt: skip
    return item.payload


def _stripe_values(item: Item) -> Mapping[str, object]:
    """The facts of a Stripe item by their payload names, read through its record."""
    txn = readable_transaction(item)
    if txn is not None:
        return {
            "payout_arrival_date": iso(txn.payout_arrival_date), "fee": txn.fee, "net": txn.net,
            "method": txn.method, "charge": txn.charge, "original_charge": txn.original_charge,
        }  # fmt: skip
    if item.kind in STRIPE_KINDS and is_payout_item(item):
        try:
            return {"payout_arrival_date": iso(stripe_record(item).payout_arrival_date)}
        except DataError:
            pass
    return item.payload


def _money_or_text(value: object) -> str:
    try:
        return money(str(value))
    except (InvalidOperation, ValueError):
        return str(value)


def _status_words(code: str) -> str:
    from connector.x12codes import claim_status  # noqa: PLC0415 - ERA items only

    return f"{code}: {claim_status(code)}"
