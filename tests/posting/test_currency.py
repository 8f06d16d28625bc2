"""Only the practice's currency posts (issue #14, item 4): any other goes to review as
``currency_mismatch`` with the amount shown in its own currency; refunds too."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from adapters.memory import MemoryLedger
from connector.domain import ItemKind, ItemStatus
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, new_stripe, practice, record
from tests.posting.runner_support import run


def test_a_payment_in_another_currency_is_reviewed_not_posted(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """EUR and JPY payments are reviewed (JPY shown without decimals); USD posts."""
    led.add_charge("P1", patient="1", date="2026-10-01", amount="100.00")
    record(store,
           new_stripe(ItemKind.PATIENT_PAYMENT, "txn_usd", "80.00", currency="usd"),  # type: ignore[arg-type]
           new_stripe(ItemKind.PATIENT_PAYMENT, "txn_eur", "50.00", currency="eur"),  # type: ignore[arg-type]
           new_stripe(ItemKind.PATIENT_PAYMENT, "txn_jpy", "5000.00", currency="jpy"))  # type: ignore[arg-type]  # fmt: skip
    counts = run(store, led)
    assert counts["posted"] == 1 and counts["review"] == 2
    assert [p.amount for p in led.payments] == [Decimal("80.00")]
    reviews = {r.item_key: r for r in store.list_reviews(PRACTICE)}
    assert reviews["txn_eur"].reason == reviews["txn_jpy"].reason == "currency_mismatch"
    assert "5,000 JPY" in reviews["txn_jpy"].message and "(USD)" in reviews["txn_jpy"].message
    assert "50.00 EUR" in reviews["txn_eur"].message


def test_the_practice_currency_is_configurable(store: SQLiteStore, led: MemoryLedger) -> None:
    """A CAD practice posts CAD and reviews a USD payment; the setting is case-insensitive."""
    led.add_charge("P1", patient="1", date="2026-10-01", amount="100.00")
    settings = practice().model_copy(update={"currency": "cad"})
    [usd, cad] = record(store,
                        new_stripe(ItemKind.PATIENT_PAYMENT, "txn_u", "10.00", currency="usd"),  # type: ignore[arg-type]
                        new_stripe(ItemKind.PATIENT_PAYMENT, "txn_c", "10.00", currency="CAD"))  # type: ignore[arg-type]  # fmt: skip
    run(store, led, settings=settings)
    assert store.get_item(usd.id).status is ItemStatus.REVIEW  # type: ignore[union-attr]
    assert store.get_item(cad.id).status is ItemStatus.POSTED  # type: ignore[union-attr]


def test_a_refund_in_another_currency_is_reviewed(store: SQLiteStore, led: MemoryLedger) -> None:
    """Reversals follow the same rule: nothing is written for a EUR refund."""
    record(store, new_stripe(ItemKind.REFUND, "txn_r", "-20.00", currency="eur"))  # type: ignore[arg-type]
    run(store, led)
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "currency_mismatch" and led.payments == []


def test_the_currency_setting_is_an_iso_code() -> None:
    """``currency`` takes a three-letter code in any case, stored lower-case; words are refused."""
    doc = practice().model_dump(mode="json")
    assert type(practice()).model_validate({**doc, "currency": "EUR"}).currency == "eur"
    with pytest.raises(ValidationError):
        type(practice()).model_validate({**doc, "currency": "dollars"})
