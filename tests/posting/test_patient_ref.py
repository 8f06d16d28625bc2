"""Patient ids no PMS can hold (issue #14, item 7): a 40-digit id or one with whitespace goes
to review as ``patient_not_found`` — never handed to the PMS, never dead with OverflowError."""

from __future__ import annotations

import pytest

from adapters.memory import MemoryLedger
from adapters.opendental import mapping
from connector.domain import ItemKind, ItemStatus
from connector.posting.patient_payments import plausible_patient_ref
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, new_stripe, record
from tests.posting.runner_support import run


@pytest.mark.parametrize("ref", ["9" * 40, " 12", "12 ", "1 2", "12\n", "\u00b2"])
def test_an_impossible_patient_id_is_reviewed_not_dead(
    store: SQLiteStore, led: MemoryLedger, ref: str
) -> None:
    """The payment goes to review with the id shown (shortened), and the PMS is not asked."""
    led.add_charge("P1", patient="12", date="2026-10-01", amount="100.00")
    asked: list[str] = []
    original = led.find_patient

    def spy(patient_ref: str):  # type: ignore[no-untyped-def]
        asked.append(patient_ref)
        return original(patient_ref)

    led.find_patient = spy  # type: ignore[method-assign]
    [item] = record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_1", "10.00", patient_ref=ref))
    counts = run(store, led)
    done = store.get_item(item.id)
    assert done is not None and done.status is ItemStatus.REVIEW, counts
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "patient_not_found" and "not a PMS id" in entry.message
    assert len(entry.message) < 300
    assert asked == []


def test_plausible_ids() -> None:
    """Ordinary ids pass; empty, over 20 characters or with whitespace do not."""
    assert plausible_patient_ref("12") and plausible_patient_ref("9" * 19)
    assert not plausible_patient_ref("") and not plausible_patient_ref("9" * 21)
    assert not plausible_patient_ref("1\t2")


def test_open_dental_keys_fit_a_bigint() -> None:
    """The adapter never turns a number beyond BIGINT (or a non-ASCII digit) into a key."""
    assert mapping.key(str(2**63 - 1)) == 2**63 - 1
    assert mapping.key(str(2**63)) is None and mapping.key("\u00b2") is None
