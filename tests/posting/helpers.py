"""Builders for posting tests: practice settings, item payloads as the sources record them
(docs/payloads.md), and a MemoryLedger with the usual types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from adapters.memory import MemoryLedger
from connector.config import PracticeSettings
from connector.domain import Item, ItemKind, ItemStatus, NewItem
from connector.store import StateStore

PRACTICE = "smile"
REMIT = "era:1999999999:TRACE1:580.00:2026-11-18"


def practice(
    *,
    writeback: dict[str, Any] | None = None,
    auto_post: dict[str, Any] | None = None,
    timezone: str = "UTC",
) -> PracticeSettings:
    """A practice with Stripe payments and an ERA folder inbox (nothing is contacted)."""
    return PracticeSettings.model_validate(
        {
            "id": PRACTICE,
            "timezone": timezone,
            "pms": {
                "vendor": "opendental",
                "api": {
                    "base_url": "http://127.0.0.1:9/api/v1",
                    "developer_key": {"env": "X_D"},
                    "customer_key": {"env": "X_C"},
                },
                "odbc": {"dsn": "none"},
            },
            "payments": {"stripe": {"api_key": {"env": "X_S"}}, "writeback": writeback or {}},
            "era": {
                "inbox": {"folder": {"path": "/nonexistent"}},
                "auto_post": {"enabled": True, **(auto_post or {})},
            },
        }
    )


def ledger() -> MemoryLedger:
    """A memory ledger with a family (guarantor 1, child 2), a patient 3 and the usual types."""
    led = MemoryLedger()
    led.add_patient("1", provider="DOC1", plans=1)
    led.add_patient("2", guarantor="1", provider="DOC2", plans=1)
    led.add_patient("3", provider="DOC1", plans=1)
    led.add_patient("9", status="inactive")
    led.add_type("70", "Online Payment", "payment")
    led.add_type("71", "Card Refund", "payment")
    led.add_type("72", "Old Online", "payment", hidden=True)
    led.add_type("80", "Insurance EFT", "insurance_payment")
    led.add_type("81", "Insurance Check", "insurance_payment")
    led.add_type("90", "Refund debit", "adjustment", sign="+")
    return led


def stripe_payload(
    txn: str,
    *,
    amount: str,
    patient_ref: str | None = "1",
    charge: str = "ch_1",
    txn_type: str = "charge",
    created: str = "2026-11-18T15:04:05+00:00",
    **extra: Any,
) -> dict[str, Any]:
    """A balance-transaction payload as the Stripe source records it."""
    return {
        "txn": txn,
        "payout": "po_1",
        "payout_arrival_date": "2026-11-20",
        "type": txn_type,
        "reporting_category": txn_type,
        "charge": charge,
        "payment_intent": "pi_1",
        "customer": "cus_1",
        "refund": None,
        "dispute": None,
        "original_charge": charge,
        "patient_ref": patient_ref,
        "amount": amount,
        "fee": "3.93",
        "net": "121.07",
        "currency": "usd",
        "method": "card",
        "created": created,
        "account": None,
        **extra,
    }


def new_stripe(
    kind: ItemKind,
    txn: str,
    amount: str,
    *,
    charge: str = "ch_1",
    patient_ref: str | None = "1",
    **extra: Any,
) -> NewItem:
    """A Stripe item (payment, refund, dispute …) for ``charge``."""
    return NewItem(
        key=txn,
        kind=kind,
        amount=Decimal(amount),
        group_key="po_1",
        related_key=charge,
        payload=stripe_payload(txn, amount=amount, charge=charge, patient_ref=patient_ref, **extra),
    )


def line(
    code: str,
    charge: str,
    paid: str,
    *adjustments: tuple[str, str, str],
    date: str | None = "2026-10-01",
    line_ref: str | None = None,
    remarks: tuple[str, ...] = (),
    original_code: str | None = None,
    allowed: str | None = None,
) -> dict[str, Any]:
    """An SVC line payload; adjustments are ``(group, reason, amount)``."""
    return {
        "qualifier": "AD",
        "code": code,
        "modifiers": [],
        "charge": charge,
        "paid": paid,
        "units": "1",
        "original_code": original_code,
        "date": date,
        "line_ref": line_ref,
        "adjustments": [
            {"group": g, "reason": r, "amount": a, "quantity": None} for g, r, a in adjustments
        ],
        "remarks": list(remarks),
        "allowed": allowed,
    }


def claim_payload(
    control: str,
    status: str,
    charge: str,
    paid: str,
    lines: list[dict[str, Any]],
    *,
    payer_control: str = "PCN1",
    remit: str = REMIT,
    test: bool = False,
    balanced: bool = True,
    adjustments: list[dict[str, Any]] | None = None,
    remarks: list[str] | None = None,
    payer_id: str = "1999999999",
    patient_responsibility: str = "0.00",
    method: str = "ACH",
    trace: str | None = None,
) -> dict[str, Any]:
    """A CLP loop payload as the ERA source records it."""
    return {
        "remittance_key": remit,
        "test": test,
        "remittance_balanced": balanced,
        "trace": trace or remit.split(":")[2],
        "payer_id": payer_id,
        "payer_name": "DELTA DENTAL",
        "method": method,
        "payment_date": "2026-11-18",
        "patient_control": control,
        "status": status,
        "charge": charge,
        "paid": paid,
        "patient_responsibility": patient_responsibility,
        "filing_indicator": "12",
        "payer_claim_control": payer_control,
        "frequency": "1",
        "service_from": "2026-10-01",
        "service_to": "2026-10-01",
        "adjustments": adjustments or [],
        "remarks": remarks or [],
        "balanced": True,
        "lines": lines,
    }


def new_claim(payload: dict[str, Any]) -> NewItem:
    """The ``era_claim`` item for a claim payload, keyed as docs/payloads.md says."""
    key = (
        f"{payload['remittance_key']}:{payload['patient_control']}:"
        f"{payload['payer_claim_control']}:{payload['status']}"
    )
    return NewItem(
        key=key,
        kind=ItemKind.ERA_CLAIM,
        payload=payload,
        amount=Decimal(payload["paid"]),
        group_key=payload["remittance_key"],
        related_key=payload["payer_claim_control"],
    )


def remittance_payload(
    *,
    amount: str = "580.00",
    plb: list[dict[str, Any]] | None = None,
    test: bool = False,
    balanced: bool = True,
    errors: list[str] | None = None,
    key: str = REMIT,
) -> NewItem:
    """An ``era_remittance`` item."""
    payload = {
        "file": "x.835",
        "file_sha256": "0",
        "interchange_control": "000000001",
        "test": test,
        "trace": "TRACE1",
        "payer_id": "1999999999",
        "payer_name": "DELTA DENTAL",
        "payee_npi": "1",
        "payee_tin": "1",
        "amount": amount,
        "credit_debit": "C",
        "method": "ACH",
        "payment_date": "2026-11-18",
        "plb": plb or [],
        "balanced": balanced,
        "balance_errors": [_balance_error(message) for message in errors or []],
        "claim_keys": [],
    }
    return NewItem(
        key=key,
        kind=ItemKind.ERA_REMITTANCE,
        payload=payload,
        amount=Decimal(amount),
        group_key=key,
    )


def _balance_error(message: str) -> dict[str, Any]:
    """A failed transaction balancing rule as the ERA source stores it, with ``message``."""
    return {
        "level": "transaction", "rule": "transaction_balance", "segment": 3,
        "segment_id": "BPR", "element": "BPR02", "expected": "0.00", "found": "0.00",
        "patient_control": None, "message": message,
    }  # fmt: skip


def record(store: StateStore, *items: NewItem, source: str = "stripe") -> list[Item]:
    """Record items as a source would and return them as stored."""
    store.record(PRACTICE, source, list(items))
    found = [store.find_item(PRACTICE, i.key) for i in items]
    assert all(found)
    return [f for f in found if f is not None]


def stored(item: NewItem, item_id: int = 1, status: ItemStatus = ItemStatus.RECEIVED) -> Item:
    """An :class:`Item` as the store would return it, without a store (pure rule tests)."""
    now = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    return Item(
        id=item_id,
        practice_id=PRACTICE,
        source="test",
        key=item.key,
        kind=item.kind,
        status=status,
        payload=item.payload,
        amount=item.amount,
        group_key=item.group_key,
        related_key=item.related_key,
        attempts=0,
        next_attempt_at=None,
        last_error_code=None,
        pms_ids={},
        progress={},
        created_at=now,
        updated_at=now,
    )
