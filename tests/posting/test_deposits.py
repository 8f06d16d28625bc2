"""A deposit per paid Stripe payout, through the posting job on the shipped memory ledger and a
real SQLite store: written once its items are settled, equal to the bank amount, once even
across a crash between the PMS write and our record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from adapters.memory import MemoryLedger
from connector.domain import ItemKind, ItemStatus, NewItem
from connector.errors import TransientError
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, new_stripe, record
from tests.posting.runner_support import NOW, run

D = Decimal


def payout(store: SQLiteStore) -> None:
    """po_1: two payments (fee 3.93 each) and the payout's own debit: 125 + 60 − 7.86."""
    debit = NewItem("txn_po1", ItemKind.STRIPE_OTHER,
                    {"txn": "txn_po1", "payout": "po_1", "payout_arrival_date": "2026-11-20",
                     "type": "payout", "amount": "-177.14", "fee": "0.00", "net": "-177.14"},
                    D("-177.14"), ItemStatus.IGNORED, group_key="po_1")  # fmt: skip
    a = new_stripe(ItemKind.PATIENT_PAYMENT, "txn_a", "125.00", charge="ch_a")
    b = new_stripe(ItemKind.PATIENT_PAYMENT, "txn_b", "60.00", charge="ch_b")
    record(store, a, b, debit)


def deposit_item(store: SQLiteStore) -> object:
    return store.find_item(PRACTICE, "deposit:po_1")


def test_deposit_written_once_when_the_payout_is_settled(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """The run that posts the payments then records and writes the deposit (bank amount,
    arrival date, both payments), counted apart; later runs write nothing."""
    payout(store)
    counts = run(store, led)
    assert (counts["posted"], counts["deposits_posted"]) == (2, 1)
    [(dep_id, plan)] = led.deposits.values()
    assert (plan.amount, plan.date) == (D("177.14"), dt.date(2026, 11, 20))
    assert plan.marker == "[connector deposit:po_1]" and len(plan.entries) == 2
    item = store.find_item(PRACTICE, "deposit:po_1")
    assert item is not None and item.status is ItemStatus.POSTED
    assert item.pms_ids == {"deposit_id": dep_id}
    again = run(store, led)
    assert again.get("posted", 0) == again.get("deposits_posted", 0) == 0
    assert len(led.deposits) == 1


def test_crash_between_deposit_and_record_heals(store: SQLiteStore, led: MemoryLedger) -> None:
    """The PMS saved the deposit, then the connection broke: the retry finds it by its marker
    and records it; one deposit."""
    payout(store)
    led.fail("deposit", lambda: TransientError("connection reset"), after_commit=True)
    assert run(store, led)["deposits_failed"] == 1
    assert len(led.deposits) == 1
    later = NOW + dt.timedelta(hours=2)
    assert run(store, led, now=later)["deposits_already_posted"] == 1
    item = store.find_item(PRACTICE, "deposit:po_1")
    assert item is not None and item.status is ItemStatus.POSTED and len(led.deposits) == 1


def test_no_deposit_while_an_item_waits_then_hand_entry_named(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """A payment without a patient waits for a person: no deposit. Once staff enter it by hand
    and resolve it, the deposit is written and names it."""
    payout(store)
    record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_c", "10.00", charge="ch_c",
                             patient_ref=None))  # fmt: skip
    run(store, led)
    run(store, led)
    assert deposit_item(store) is None and not led.deposits
    [review] = store.list_reviews(PRACTICE)
    store.resolve_review(review.id, "entered by hand")
    run(store, led)
    [(_, plan)] = led.deposits.values()
    assert "entered by hand: txn_c" in plan.memo and len(plan.entries) == 2


def test_deposits_off(store: SQLiteStore, led: MemoryLedger) -> None:
    """``writeback.deposits: false``: no deposit item, nothing written."""
    from tests.posting.helpers import practice

    payout(store)
    settings = practice(writeback={"deposits": False})
    run(store, led, settings=settings)
    run(store, led, settings=settings)
    assert deposit_item(store) is None and not led.deposits
