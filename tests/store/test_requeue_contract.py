"""``requeue_item`` and ``items_with_status`` on SQLite and PostgreSQL: dead and failed items go
back to the posting queue with a fresh attempt budget and their error kept in history; every
other status is refused with a code that says why."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest

from connector.domain import Item, ItemKind, ItemStatus, NewItem
from connector.errors import PermanentError
from connector.store import StateStore
from tests.conftest import TEST_NOW

NOW = TEST_NOW  # the store fixture stamps times from a clock fixed here


def _item(store: StateStore, key: str, practice: str = "p1") -> Item:
    store.record(practice, "stripe", [NewItem(key, ItemKind.PATIENT_PAYMENT, {"txn": key},
                                              Decimal("12.50"))])  # fmt: skip
    found = store.find_item(practice, key)
    assert found is not None
    return found


def _dead(store: StateStore, key: str, practice: str = "p1") -> Item:
    item = _item(store, key, practice)
    store.mark_failed(item.id, "transient", "timeout", NOW + dt.timedelta(minutes=5))
    store.mark_dead(item.id, "pms_rejected", "Open Dental refused payment type 70")
    dead = store.get_item(item.id)
    assert dead is not None and dead.status is ItemStatus.DEAD
    return dead


def test_dead_item_is_received_again_with_a_fresh_attempt_budget(store: StateStore) -> None:
    """A dead item becomes received, due now, with 0 attempts and no error on the item."""
    dead = _dead(store, "txn_1")
    assert dead.attempts == 2 and dead.last_error_code == "pms_rejected"
    assert dead.last_error == "Open Dental refused payment type 70"
    requeued = store.requeue_item(dead.id)
    assert requeued.status is ItemStatus.RECEIVED and requeued.attempts == 0
    assert requeued.next_attempt_at is None
    assert requeued.last_error_code is None and requeued.last_error is None
    assert requeued == store.get_item(dead.id)
    assert [i.id for i in store.due_items("p1", NOW, 10)] == [dead.id]


def test_requeue_keeps_the_error_in_history(store: StateStore) -> None:
    """The history keeps the dead event and adds item.requeued with the previous status, code
    and message."""
    dead = _dead(store, "txn_1")
    store.requeue_item(dead.id)
    history = store.history(dead.id)
    assert [h.event for h in history] == ["item.recorded", "item.failed", "item.dead",
                                          "item.requeued"]  # fmt: skip
    last = history[-1]
    assert (last.from_status, last.to_status) == ("dead", "received")
    assert last.detail == {
        "previous_status": "dead",
        "error_code": "pms_rejected",
        "error": "Open Dental refused payment type 70",
        "attempts": 2,
    }
    assert history[2].detail["code"] == "pms_rejected"


def test_failed_item_is_due_at_once(store: StateStore) -> None:
    """A failed item waiting out its backoff is requeued to be posted now ("retry now")."""
    item = _item(store, "txn_1")
    store.mark_failed(item.id, "transient", "timeout", NOW + dt.timedelta(hours=1))
    assert store.due_items("p1", NOW, 10) == []
    requeued = store.requeue_item(item.id)
    assert requeued.status is ItemStatus.RECEIVED and requeued.attempts == 0
    assert [i.id for i in store.due_items("p1", NOW, 10)] == [item.id]
    assert store.history(item.id)[-1].detail["previous_status"] == "failed"


def test_progress_of_a_multi_step_write_is_kept(store: StateStore) -> None:
    """Finished steps survive a requeue, so a resumed write never repeats them."""
    item = _item(store, "txn_1")
    store.save_progress(item.id, {"steps": {"payment": {"PayNum": 7}}})
    store.mark_dead(item.id, "permanent", "note refused")
    assert store.requeue_item(item.id).progress == {"steps": {"payment": {"PayNum": 7}}}


def _refused(store: StateStore, item_id: int, code: str) -> str:
    """Requeue ``item_id``, expect a refusal with ``code``; the item and history are untouched."""
    before, events = store.get_item(item_id), len(store.history(item_id))
    with pytest.raises(PermanentError) as info:
        store.requeue_item(item_id)
    assert info.value.code == code
    assert store.get_item(item_id) == before and len(store.history(item_id)) == events
    return info.value.message


def test_other_statuses_are_refused_with_a_reason(store: StateStore) -> None:
    """posted, review, received and ignored items are refused, each with its own code; the
    review refusal names the open review to retry."""
    posted, review, received, ignored = (
        _item(store, k) for k in ("txn_p", "txn_r", "txn_q", "txn_i")
    )
    store.mark_posted(posted.id, {"PayNum": 1}, {})
    review_id = store.mark_review(review.id, "patient_not_found", "no patient 404")
    store.mark_ignored(ignored.id, "stripe fee")
    assert "already in the PMS" in _refused(store, posted.id, "item_posted")
    words = _refused(store, review.id, "item_in_review")
    assert f"review #{review_id}" in words and f"connector retry {review_id}" in words
    assert "nothing to do" in _refused(store, received.id, "item_queued")
    assert "nothing to do" in _refused(store, ignored.id, "item_ignored")
    with pytest.raises(PermanentError) as info:
        store.requeue_item(99_999)
    assert info.value.code == "item_not_found"


def test_a_requeued_item_cannot_be_requeued_again(store: StateStore) -> None:
    """The second requeue of the same item finds it queued and refuses."""
    dead = _dead(store, "txn_1")
    store.requeue_item(dead.id)
    _refused(store, dead.id, "item_queued")


def _race(store: StateStore, item_id: int) -> list[str]:
    """Requeue ``item_id`` from two threads released at the same moment; their outcomes."""
    start = threading.Barrier(2)
    results: list[str] = []

    def requeue() -> None:
        start.wait()
        try:
            store.requeue_item(item_id)
            results.append("ok")
        except PermanentError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=requeue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


def test_concurrent_requeues_of_one_item_succeed_once(store: StateStore) -> None:
    """Two staff requeueing the same dead item at once: one wins, the other is refused, and
    the history holds one item.requeued event."""
    for round_no in range(5):
        dead = _dead(store, f"txn_{round_no}")
        assert _race(store, dead.id) == ["item_queued", "ok"]
        events = [h.event for h in store.history(dead.id)]
        assert events.count("item.requeued") == 1


def test_items_with_status_filters_by_status_and_practice(store: StateStore) -> None:
    """Dead items are listed by practice, then oldest first; a practice filter narrows them."""
    b2 = _dead(store, "b2", "p2")
    a1 = _dead(store, "a1", "p1")
    _item(store, "alive", "p1")
    a2 = _dead(store, "a2", "p1")
    listed = store.items_with_status(ItemStatus.DEAD)
    assert [i.id for i in listed] == [a1.id, a2.id, b2.id]
    assert listed[0].last_error == "Open Dental refused payment type 70"
    assert [i.id for i in store.items_with_status(ItemStatus.DEAD, "p2")] == [b2.id]
    assert store.items_with_status(ItemStatus.DEAD, "p3") == []
    assert [i.key for i in store.items_with_status(ItemStatus.RECEIVED)] == ["alive"]
