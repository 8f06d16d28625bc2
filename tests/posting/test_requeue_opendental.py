"""Exactly once across a requeue, on the Open Dental API double over the real MariaDB: a dead item
whose payment is in fact in Open Dental is requeued, found by its marker, and written nowhere
a second time."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from adapters.base import Ledger
from connector.clock import FixedClock
from connector.config import PostingSettings
from connector.domain import Item, ItemKind, ItemStatus
from connector.jobs import PollContext
from connector.logging import get_logger
from connector.posting.runner import PostingJob
from connector.redaction import Redactor
from connector.store import SQLiteStore
from tests.posting.helpers import new_stripe, practice, record
from tests.support.opendental import OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def post(store: SQLiteStore, od: OdContext) -> dict[str, int]:
    """One posting run of the practice through a fresh Open Dental adapter."""
    chosen = practice()

    def factory(_settings: object) -> Ledger:
        return od.ledger()

    job = PostingJob(chosen, redactor=Redactor(), posting=PostingSettings(),
                     ledger_factory=factory)  # fmt: skip
    ctx = PollContext(practice=chosen, store=store, redactor=Redactor(),
                      log=get_logger("connector.posting"), stop=threading.Event(),
                      clock=FixedClock(NOW), dry_run=False)  # fmt: skip
    return job.poll(ctx)


def payments(od: OdContext, key: str) -> int:
    """Open Dental payment rows carrying ``key``'s marker."""
    return int(od.db.rows("SELECT COUNT(*) FROM payment WHERE PayNote LIKE ?", f"%{key}%")[0][0])


def posts_sent(od: OdContext) -> int:
    """``POST /payments`` requests the double received."""
    return sum(1 for r in od.api.requests if (r.method, r.path) == ("POST", "/payments"))


def found_first(store: SQLiteStore, item: Item) -> bool:
    """True when the item's last posting was recognised by the look-in-the-PMS-first step
    (recorded as already existing, with no plan executed)."""
    last = store.history(item.id)[-1]
    return (
        last.event == "item.posted"
        and last.detail["already_existed"] is True
        and ("plan" not in last.detail)
    )


def ana_payment(store: SQLiteStore, key: str) -> Item:
    """A cleared Stripe payment from Ana (guarantor of the Smith family)."""
    [item] = record(store, new_stripe(ItemKind.PATIENT_PAYMENT, key, "40.00",
                                      patient_ref=str(Ids.ANA), charge=f"ch_{key}"))  # fmt: skip
    return item


def test_write_landed_but_answer_was_an_error(od: OdContext, store: SQLiteStore) -> None:
    """Open Dental saved the payment, then answered 400: the item died. Requeued, it is found by
    its marker and marked posted with the row that exists; no second POST is sent."""
    item = ana_payment(store, "txn_req_1")
    od.api.faults.fail(1, status=400, after_write=True, method="POST", path="^/payments$")
    assert post(store, od)["dead"] == 1
    assert payments(od, "txn_req_1") == 1 and posts_sent(od) == 1
    [(pay_num,)] = od.db.rows("SELECT PayNum FROM payment WHERE PayNote LIKE '%txn_req_1%'")

    store.requeue_item(item.id)
    counts = post(store, od)
    assert counts["already_posted"] == 1 and counts["posted"] == 0
    assert payments(od, "txn_req_1") == 1 and posts_sent(od) == 1
    done = store.get_item(item.id)
    assert done is not None and done.status is ItemStatus.POSTED
    assert int(done.pms_ids["PayNum"]) == int(pay_num)
    assert found_first(store, item)


def test_posted_item_marked_dead_by_the_store_posts_nothing_new(
    od: OdContext, store: SQLiteStore
) -> None:
    """A payment the engine wrote, then marked dead with its journal lost (simulated through the
    store), is requeued: the engine looks in Open Dental first and writes nothing."""
    item = ana_payment(store, "txn_req_2")
    assert post(store, od)["posted"] == 1
    writes = [r for r in od.api.requests if r.method in ("POST", "PUT")]
    assert payments(od, "txn_req_2") == 1
    store.save_progress(item.id, {})  # no journal: only the PMS itself knows it is written
    store.mark_dead(item.id, "permanent", "simulated: marked dead after the write")

    store.requeue_item(item.id)
    assert post(store, od)["already_posted"] == 1
    assert [r for r in od.api.requests if r.method in ("POST", "PUT")] == writes
    assert payments(od, "txn_req_2") == 1
    done = store.get_item(item.id)
    assert done is not None and done.status is ItemStatus.POSTED
    assert found_first(store, item)
