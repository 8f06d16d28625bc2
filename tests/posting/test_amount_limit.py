"""A per-payment ceiling (issue #14, item 10): a payment, refund or claim payment above the
practice's ``max_payment`` goes to review as ``amount_above_limit`` instead of posting."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml

from adapters.memory import MemoryLedger
from connector.config import load_config
from connector.domain import ItemKind, ItemStatus
from connector.store import SQLiteStore
from tests.posting.helpers import (
    PRACTICE,
    claim_payload,
    line,
    new_claim,
    new_stripe,
    practice,
    record,
)
from tests.posting.runner_support import run
from tests.support.configs import od_practice, write_config
from tests.test_daemon import ENV


def test_a_payment_above_the_limit_is_reviewed(store: SQLiteStore, led: MemoryLedger) -> None:
    """$99,999,999.99 is not posted (the default limit is 50,000.00); 80.00 is."""
    led.add_charge("P1", patient="1", date="2026-10-01", amount="100.00")
    huge, small = record(store,
                         new_stripe(ItemKind.PATIENT_PAYMENT, "txn_huge", "99999999.99"),  # type: ignore[arg-type]
                         new_stripe(ItemKind.PATIENT_PAYMENT, "txn_ok", "80.00"))  # type: ignore[arg-type]  # fmt: skip
    run(store, led)
    assert store.get_item(huge.id).status is ItemStatus.REVIEW  # type: ignore[union-attr]
    assert store.get_item(small.id).status is ItemStatus.POSTED  # type: ignore[union-attr]
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "amount_above_limit" and "(50000.00)" in entry.message
    assert [p.amount for p in led.payments] == [Decimal("80.00")]


def test_the_limit_is_per_practice_and_covers_refunds(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """With max_payment 100.00 a 150.00 refund is reviewed too (either direction)."""
    settings = practice().model_copy(update={"max_payment": Decimal("100.00")})
    [refund] = record(store, new_stripe(ItemKind.REFUND, "txn_r", "-150.00"))  # type: ignore[arg-type]
    run(store, led, settings=settings)
    assert store.get_item(refund.id).status is ItemStatus.REVIEW  # type: ignore[union-attr]
    assert store.list_reviews(PRACTICE)[0].reason == "amount_above_limit"


def test_max_payment_reads_exactly_from_yaml(tmp_path: Path) -> None:
    """``max_payment: 12345.67`` is the Decimal 12345.67 (no binary float on the way)."""
    path = write_config(tmp_path, [od_practice("a", max_payment=12345.67)])
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["practices"][0]["max_payment"]
    loaded = load_config(path, environ=ENV)
    assert loaded.settings.practices[0].max_payment == Decimal("12345.67")


def test_an_insurance_claim_payment_above_the_limit_is_reviewed(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """An ERA claim paying 60,000.00 is reviewed before any matching or writing."""
    lines = [line("D2740", "70000.00", "60000.00", ("CO", "45", "10000.00"))]
    payload = claim_payload("CLM1", "1", "70000.00", "60000.00", lines)
    [claim] = record(store, new_claim(payload), source="era")
    run(store, led)
    assert store.get_item(claim.id).status is ItemStatus.REVIEW  # type: ignore[union-attr]
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "amount_above_limit"
    assert "60000.00 (claim CLM1 in remittance " in entry.message  # named as a claim
