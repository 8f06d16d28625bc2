"""The state-store contract, run on SQLite and PostgreSQL: idempotent recording, atomic
cursors, review queue, append-only history, poll states, migrations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from connector.clock import FixedClock
from connector.domain import ItemKind, ItemStatus, NewItem
from connector.errors import PermanentError
from connector.store import StateStore, open_store
from connector.store.base import Audit
from connector.store.schema import load_migrations
from tests.store.conftest import RawExecute, db_errors


def _payment(key: str, amount: str = "10.00", **kw: object) -> NewItem:
    return NewItem(key, ItemKind.PATIENT_PAYMENT, {"txn": key}, Decimal(amount), **kw)  # type: ignore[arg-type]


def test_same_key_twice_is_one_item(store: StateStore) -> None:
    """Recording the same external key twice stores one item."""
    first = store.record("p1", "stripe", [_payment("txn_1")])
    second = store.record("p1", "stripe", [_payment("txn_1"), _payment("txn_2")])
    assert first.new_keys == ("txn_1",)
    assert second.new_keys == ("txn_2",) and second.duplicates == 1
    assert store.status_counts() == {"p1": {"received": 2}}


def test_a_key_repeated_within_one_batch_is_stored_once(store: StateStore) -> None:
    """One page naming a key twice stores it once, with one history row and one review."""
    review = _payment("txn_r", status=ItemStatus.REVIEW, review_reason="patient_not_found",
                      review_message="no patient id")  # fmt: skip
    result = store.record("p1", "stripe", [_payment("a"), review, _payment("a"), review])
    assert result.new_keys == ("a", "txn_r") and result.duplicates == 2
    for key in ("a", "txn_r"):
        item = store.find_item("p1", key)
        assert item is not None and [h.event for h in store.history(item.id)] == ["item.recorded"]
    assert [r.item_key for r in store.list_reviews()] == ["txn_r"]


def test_keys_are_unique_per_practice(store: StateStore) -> None:
    """Two practices may each have an item with the same key."""
    store.record("p1", "stripe", [_payment("k")])
    store.record("p2", "stripe", [_payment("k")])
    assert store.find_item("p1", "k") is not None and store.find_item("p2", "k") is not None


def test_cursor_and_items_are_atomic(store: StateStore) -> None:
    """A failure while recording leaves neither the items nor the cursor."""
    store.record("p1", "stripe", [_payment("txn_0")], cursor={"after": 1})
    broken = NewItem("txn_2", ItemKind.PATIENT_PAYMENT, {"bad": object()}, Decimal("1.00"))
    with pytest.raises(TypeError):
        store.record("p1", "stripe", [_payment("txn_1"), broken], cursor={"after": 2})
    assert store.find_item("p1", "txn_1") is None
    assert store.get_cursor("p1", "stripe") == {"after": 1}


def test_amounts_round_trip_exactly(store: StateStore) -> None:
    """Amounts are stored as integer cents and come back as the same Decimal."""
    store.record("p1", "stripe", [_payment("txn_1", "-1234.56")])
    item = store.find_item("p1", "txn_1")
    assert item is not None and item.amount == Decimal("-1234.56")


def test_review_items_recorded_up_front_open_a_review(store: StateStore) -> None:
    """An item recorded with status review has an open review entry with its reason."""
    store.record("p1", "stripe", [_payment("txn_9", status=ItemStatus.REVIEW,
                                           review_reason="patient_not_found",
                                           review_message="no patient id")])  # fmt: skip
    [review] = store.list_reviews()
    assert review.reason == "patient_not_found" and review.item_key == "txn_9"
    assert store.count_open_reviews() == {"p1": 1}


def test_status_lifecycle_and_history(store: StateStore, clock: FixedClock) -> None:
    """failed → retried when due → posted, each change in the append-only history."""
    store.record("p1", "stripe", [_payment("txn_1")])
    item = store.find_item("p1", "txn_1")
    assert item is not None
    now = clock.now()
    store.mark_failed(item.id, "transient", "timeout", now + dt.timedelta(minutes=5))
    assert store.due_items("p1", now, 10) == []
    assert [i.key for i in store.due_items("p1", now + dt.timedelta(minutes=6), 10)] == ["txn_1"]
    store.mark_posted(item.id, {"PayNum": 7}, {"mode": "allocate"})
    posted = store.get_item(item.id)
    assert posted is not None and posted.status is ItemStatus.POSTED and posted.attempts == 1
    assert posted.pms_ids == {"PayNum": 7}
    events = [h.event for h in store.history(item.id)]
    assert events == ["item.recorded", "item.failed", "item.posted"]


def test_a_failure_may_leave_the_attempt_count_alone(store: StateStore) -> None:
    """``count_attempt=False`` (a PMS outage) schedules the retry and keeps the failure in the
    history, but does not use up an attempt; the default counts it."""
    store.record("p1", "stripe", [_payment("txn_1")])
    item = store.find_item("p1", "txn_1")
    assert item is not None
    later = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    store.mark_failed(item.id, "pms_api_unavailable", "down", later, count_attempt=False)
    store.mark_failed(item.id, "pms_api_unavailable", "down", later, count_attempt=False)
    again = store.get_item(item.id)
    assert again is not None and again.status is ItemStatus.FAILED and again.attempts == 0
    assert again.next_attempt_at == later
    assert [h.event for h in store.history(item.id)].count("item.failed") == 2
    store.mark_failed(item.id, "timeout", "slow", later)
    counted = store.get_item(item.id)
    assert counted is not None and counted.attempts == 1


def test_history_is_append_only(store: StateStore, raw_execute: RawExecute) -> None:
    """History rows cannot be updated or deleted, even with SQL behind the store's back."""
    store.record("p1", "stripe", [_payment("txn_1")])
    with pytest.raises(db_errors(), match="append-only"):
        raw_execute("UPDATE history SET event = 'x'")
    with pytest.raises(db_errors(), match="append-only"):
        raw_execute("DELETE FROM history")
    item = store.find_item("p1", "txn_1")
    assert item is not None and [h.event for h in store.history(item.id)] == ["item.recorded"]


def test_review_retry_and_resolve(store: StateStore) -> None:
    """retry puts the item back to received; resolve closes the review; neither twice."""
    store.record("p1", "stripe", [_payment("a"), _payment("b")])
    a, b = store.find_item("p1", "a"), store.find_item("p1", "b")
    assert a is not None and b is not None
    ra = store.mark_review(a.id, "patient_not_found", "no such patient")
    rb = store.mark_review(b.id, "multiple_plans", "two plans")
    assert store.retry_review(ra).status is ItemStatus.RECEIVED
    store.resolve_review(rb, "posted by hand by front desk")
    assert store.list_reviews() == []
    assert {r.state for r in store.list_reviews(state="all")} == {"retried", "resolved"}
    with pytest.raises(PermanentError):
        store.resolve_review(rb, "again")


def test_a_signed_change_and_its_signature_are_one_transaction(store: StateStore) -> None:
    """The audit row comes with the change; when it cannot be written, nothing changes."""
    store.record("p1", "stripe", [_payment("a"), _payment("b"), _payment("c")])
    a, b, c = (store.find_item("p1", key) for key in "abc")
    assert a is not None and b is not None and c is not None
    ra = store.mark_review(a.id, "patient_not_found", "no such patient")
    rb = store.mark_review(b.id, "multiple_plans", "two plans")
    store.mark_dead(c.id, "permanent", "gave up")
    unwritable = Audit("console.resolved", {"user": "ana", "bad": object()})  # not JSON
    with pytest.raises(TypeError):
        store.resolve_review(ra, "handled", audit=unwritable)
    with pytest.raises(TypeError):
        store.retry_review(rb, audit=unwritable)
    with pytest.raises(TypeError):
        store.requeue_item(c.id, audit=unwritable)
    assert {r.id for r in store.list_reviews()} == {ra, rb}  # both still open
    dead = store.get_item(c.id)
    assert dead is not None and dead.status is ItemStatus.DEAD
    store.resolve_review(ra, "handled", audit=Audit("console.resolved", {"user": "ana"}))
    store.retry_review(rb, audit=Audit("console.retried", {"user": "ben"}))
    store.requeue_item(c.id, audit=Audit("console.requeued", {"user": "cy"}))
    for item, event, user in ((a, "console.resolved", "ana"), (b, "console.retried", "ben"),
                              (c, "console.requeued", "cy")):  # fmt: skip
        [signed] = [h for h in store.history(item.id) if h.event == event]
        assert signed.detail == {"user": user}


def test_poll_state_counts_consecutive_failures(store: StateStore) -> None:
    """Failures count up until a success resets them."""
    assert store.poll_failed("p1", "stripe", "transient", "down") == 1
    assert store.poll_failed("p1", "stripe", "transient", "down") == 2
    store.poll_succeeded("p1", "stripe", {"recorded": 3})
    [state] = store.poll_states()
    assert state.consecutive_failures == 0 and state.last_summary == {"recorded": 3}


def test_migrations_are_idempotent(engine: str, empty_url: str) -> None:
    """Migrating a new store reaches the newest version; opening it again changes nothing."""
    newest = max(v for v, _ in load_migrations("sqlite" if engine == "sqlite" else "postgres"))
    first = open_store(empty_url)
    assert first.migrate() == newest
    first.close()
    again = open_store(empty_url)
    assert again.migrate() == newest
    again.close()


def test_store_is_usable_from_several_threads(store: StateStore) -> None:
    """Each thread gets its own connection; records from threads all land once."""
    import threading

    def work(n: int) -> None:
        for i in range(20):
            store.record("p1", "stripe", [_payment(f"t{n}-{i}"), _payment("shared")])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.status_counts()["p1"]["received"] == 81


def test_items_of_kind_filters_by_kind_and_recording_window(
    store: StateStore, clock: FixedClock
) -> None:
    """Reports read items by kind within [since, until) of their recording time, oldest first."""
    before = clock.now() - dt.timedelta(seconds=1)
    store.record("p1", "stripe", [_payment("a"), _payment("b")])
    store.record("p1", "stripe", [NewItem("r", ItemKind.REFUND, {}, Decimal("-1.00"))])
    store.record("p2", "stripe", [_payment("other-practice")])
    after = clock.now() + dt.timedelta(seconds=1)
    payments = store.items_of_kind("p1", [ItemKind.PATIENT_PAYMENT.value])
    assert [i.key for i in payments] == ["a", "b"]
    both = store.items_of_kind("p1", ["patient_payment", "refund"], before, after)
    assert [i.key for i in both] == ["a", "b", "r"]
    assert store.items_of_kind("p1", ["patient_payment"], since=after) == []
    assert store.items_of_kind("p1", ["patient_payment"], until=before) == []
