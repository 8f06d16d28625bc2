"""Refunds, disputes and ACH returns: reversal of a posted payment, netting of an unposted one,
re-posting of a won dispute."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from adapters.memory import MemoryLedger
from connector.domain import ItemKind, ItemStatus
from connector.errors import TransientError
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, new_stripe, practice, record
from tests.posting.runner_support import NOW, run

D = Decimal


def _status(store: SQLiteStore, item_id: int) -> ItemStatus:
    item = store.get_item(item_id)
    assert item is not None
    return item.status


def test_refund_after_posting_is_written_as_a_reversal(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """A refund of a posted payment becomes a negative payment linked to the original."""
    [pay] = record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_p", "125.00"))
    run(store, led)
    [refund] = record(store, new_stripe(ItemKind.REFUND, "txn_r", "-25.00"))
    assert run(store, led)["posted"] == 1
    original, reversal = led.payments
    assert reversal.kind == "reversal" and reversal.amount == D("-25.00")
    assert reversal.pms_ids["reverses"] == original.payment_id
    assert "[connector txn_r]" in reversal.note and "txn_p" in reversal.note
    assert led.balance("1") == D("-100.00")  # 125 credit less the 25 refunded
    assert _status(store, refund.id) is ItemStatus.POSTED
    assert _status(store, pay.id) is ItemStatus.POSTED


def test_payment_and_refund_in_one_run_post_in_order(store: SQLiteStore, led: MemoryLedger) -> None:
    """A payment and its refund recorded together: the payment posts first, then the reversal."""
    record(
        store,
        new_stripe(ItemKind.PATIENT_PAYMENT, "txn_p", "125.00"),
        new_stripe(ItemKind.ACH_RETURN, "txn_a", "-125.00"),
    )
    assert run(store, led)["posted"] == 2
    assert [p.kind for p in led.payments] == ["patient_payment", "reversal"]


def test_refund_of_a_payment_in_review_is_netted_into_one_review(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """Payment held in review + its refund: one open review with the net, nothing written."""
    [pay] = record(
        store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_p", "125.00", patient_ref="404")
    )
    run(store, led)
    [held] = store.list_reviews(PRACTICE)
    assert held.reason == "patient_not_found"
    [refund] = record(store, new_stripe(ItemKind.REFUND, "txn_r", "-25.00", patient_ref="404"))
    assert run(store, led)["review"] == 1
    [netted] = store.list_reviews(PRACTICE)
    assert netted.reason == "reversal_netted" and netted.item_id == refund.id
    assert "net to enter: 100.00" in netted.message and "in review" in netted.message
    closed = store.get_review(held.id)
    assert closed is not None and closed.state == "resolved"
    assert f"netted into review #{netted.id}" in (closed.resolution_note or "")
    assert led.payments == []
    assert _status(store, pay.id) is ItemStatus.IGNORED


def test_refund_of_a_payment_entered_by_hand_is_reviewed(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """When staff resolved the payment's review (entered it by hand), its refund is for them too."""
    record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_p", "125.00", patient_ref="404"))
    run(store, led)
    [held] = store.list_reviews(PRACTICE)
    store.resolve_review(held.id, "entered by hand")
    [refund] = record(store, new_stripe(ItemKind.REFUND, "txn_r", "-25.00", patient_ref="404"))
    run(store, led)
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "reversal_of_hand_entry" and entry.item_id == refund.id
    assert "reverses payment txn_p, which staff entered by hand" in entry.message
    assert led.payments == []


def test_refund_of_a_pending_payment_takes_it_out_of_the_queue(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """A payment still retrying when its full refund arrives is netted to zero and never posted."""
    led.fail("find_patient", lambda: TransientError("PMS down"))
    [pay] = record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_p", "125.00"))
    assert run(store, led)["failed"] == 1
    [refund] = record(store, new_stripe(ItemKind.REFUND, "txn_r", "-125.00"))
    counts = run(store, led, now=NOW + dt.timedelta(seconds=30))  # before the payment's retry
    assert counts["review"] == 1 and counts["posted"] == 0
    assert _status(store, pay.id) is ItemStatus.IGNORED
    [netted] = store.list_reviews(PRACTICE)
    assert netted.item_id == refund.id and "net to enter: 0.00" in netted.message
    assert "retrying after an error" in netted.message
    assert led.payments == []


def test_netting_checks_the_pms_first(store: SQLiteStore, led: MemoryLedger) -> None:
    """If the 'pending' payment is in the PMS after all (crash after commit), the refund is a
    normal reversal and the payment is healed on its own turn."""
    led.fail("post_patient_payment", lambda: TransientError("lost"), after_commit=True)
    [pay] = record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_p", "125.00"))
    run(store, led)
    [refund] = record(store, new_stripe(ItemKind.REFUND, "txn_r", "-25.00"))
    counts = run(store, led, now=NOW + dt.timedelta(hours=1))
    assert counts["already_posted"] == 1 and counts["posted"] == 1
    assert _status(store, pay.id) is ItemStatus.POSTED
    assert _status(store, refund.id) is ItemStatus.POSTED
    assert [p.kind for p in led.payments] == ["patient_payment", "reversal"]


def test_second_refund_keeps_one_open_review_with_the_running_net(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """Two partial refunds of an unposted payment end in one open review with the total net."""
    record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_p", "100.00", patient_ref="404"))
    run(store, led)
    record(store, new_stripe(ItemKind.REFUND, "txn_r1", "-30.00", patient_ref="404"))
    run(store, led)
    record(store, new_stripe(ItemKind.REFUND, "txn_r2", "-20.00", patient_ref="404"))
    run(store, led)
    [only] = store.list_reviews(PRACTICE)
    assert only.reason == "reversal_netted" and "net to enter: 50.00" in only.message
    assert "txn_r1" in only.message and "txn_r2" in only.message


def test_refund_without_its_payment_is_unmatched(store: SQLiteStore, led: MemoryLedger) -> None:
    """A refund of a charge the connector never recorded goes to review reversal_unmatched."""
    record(store, new_stripe(ItemKind.REFUND, "txn_r", "-25.00", charge="ch_unknown"))
    run(store, led)
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "reversal_unmatched" and "ch_unknown" in entry.message


def test_dispute_lost_then_won_reposts(store: SQLiteStore, led: MemoryLedger) -> None:
    """Dispute (money withdrawn) reverses the posting; dispute won re-posts under its own txn."""
    record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_p", "80.00"))
    run(store, led)
    record(store, new_stripe(ItemKind.DISPUTE, "txn_d", "-80.00"))
    run(store, led)
    [won] = record(store, new_stripe(ItemKind.DISPUTE_WON, "txn_w", "80.00", patient_ref=None))
    assert run(store, led)["posted"] == 1
    kinds = [(p.kind, p.amount) for p in led.payments]
    assert kinds == [
        ("patient_payment", D("80.00")),
        ("reversal", D("-80.00")),
        ("patient_payment", D("80.00")),
    ]
    assert "[connector txn_w]" in led.payments[-1].note
    assert _status(store, won.id) is ItemStatus.POSTED


def test_dispute_won_after_netting_joins_the_net(store: SQLiteStore, led: MemoryLedger) -> None:
    """When the payment and dispute were netted, the win is added to the same single review."""
    record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_p", "80.00", patient_ref="404"))
    run(store, led)
    record(store, new_stripe(ItemKind.DISPUTE, "txn_d", "-80.00", patient_ref="404"))
    run(store, led)
    record(store, new_stripe(ItemKind.DISPUTE_WON, "txn_w", "80.00", patient_ref="404"))
    run(store, led)
    [only] = store.list_reviews(PRACTICE)
    assert only.reason == "reversal_netted" and "net to enter: 80.00" in only.message
    assert led.payments == []


def test_refund_with_writeback_off_is_listed_to_enter(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """With write-back turned off after the payment posted, the refund is listed 'to enter'."""
    record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_p", "80.00"))
    run(store, led)
    record(store, new_stripe(ItemKind.REFUND, "txn_r", "-10.00"))
    run(store, led, settings=practice(writeback={"enabled": False}))
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "writeback_disabled" and entry.message.startswith("To enter: refund")
