"""The posting job with a real SQLiteStore and the MemoryLedger: outcomes, retries, crash
healing, notes as their own step, dry run."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from adapters.memory import MemoryLedger
from connector.config import PostingSettings
from connector.domain import ItemKind, ItemStatus
from connector.errors import AuthError, DataError, PermanentError, TransientError
from connector.posting.runner import backoff
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, new_stripe, practice, record
from tests.posting.runner_support import NOW, run

D = Decimal


def payment(txn: str = "txn_1", amount: str = "125.00", **kw: object) -> object:
    return new_stripe(ItemKind.PATIENT_PAYMENT, txn, amount, **kw)  # type: ignore[arg-type]


def test_posts_a_payment_and_records_pms_ids_and_plan(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """A due payment is written once, marked posted with the PMS ids and the plan in history."""
    led.add_charge("P1", patient="1", date="2026-10-01", amount="100.00")
    [item] = record(store, payment())  # type: ignore[arg-type]
    counts = run(store, led)
    assert counts["posted"] == 1 and counts["review"] == 0
    done = store.get_item(item.id)
    assert done is not None and done.status is ItemStatus.POSTED
    assert done.pms_ids == {"payment_id": led.payments[0].payment_id, "patient_id": "1"}
    assert led.charges["P1"].amount_due == D("0.00") and led.credit["1"] == D("25.00")
    posted = [h for h in store.history(item.id) if h.event == "item.posted"]
    assert posted[0].detail["plan"]["amount"] == "125.00"
    assert "[connector txn_1]" in led.payments[0].note
    assert led.closed


def test_nothing_due_builds_no_ledger(store: SQLiteStore) -> None:
    """With nothing due the ledger factory is never called."""
    from connector.jobs import PollContext
    from connector.logging import get_logger
    from connector.posting.runner import PostingJob
    from connector.redaction import Redactor

    def factory(_p: object) -> MemoryLedger:
        raise AssertionError("ledger built without work")

    settings = practice()
    job = PostingJob.for_practice(settings, redactor=Redactor(), ledger_factory=factory)
    ctx = PollContext(practice=settings, store=store, redactor=Redactor(), log=get_logger())
    assert job.poll(ctx)["posted"] == 0


def test_crash_after_the_pms_commit_is_healed_by_find_posting(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """A failure after the PMS wrote the payment leaves it failed; the next run finds the
    marker in the PMS and marks it posted without writing a second payment."""
    led.fail("post_patient_payment", lambda: TransientError("connection lost"), after_commit=True)
    [item] = record(store, payment())  # type: ignore[arg-type]
    assert run(store, led)["failed"] == 1
    assert len(led.payments) == 1
    later = NOW + dt.timedelta(minutes=5)
    assert run(store, led, now=later)["already_posted"] == 1
    done = store.get_item(item.id)
    assert done is not None and done.status is ItemStatus.POSTED
    assert len(led.payments) == 1
    assert done.pms_ids["payment_id"] == led.payments[0].payment_id


def test_transient_failures_back_off_exponentially_then_die(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """Each transient failure doubles the wait (capped); after max_attempts the item is dead."""
    led.fail("find_patient", lambda: TransientError("PMS down", code="pms_unreachable"), times=99)
    [item] = record(store, payment())  # type: ignore[arg-type]
    posting = {"max_attempts": 3, "retry_backoff": "1m", "retry_backoff_max": "90s"}
    assert run(store, led, posting=posting)["failed"] == 1
    first = store.get_item(item.id)
    assert first is not None and first.next_attempt_at == NOW + dt.timedelta(minutes=1)
    assert run(store, led, posting=posting, now=NOW + dt.timedelta(seconds=59))["failed"] == 0
    t2 = NOW + dt.timedelta(minutes=1)
    assert run(store, led, posting=posting, now=t2)["failed"] == 1
    second = store.get_item(item.id)
    assert second is not None and second.next_attempt_at == t2 + dt.timedelta(seconds=90)
    assert second.attempts == 2 and second.last_error_code == "pms_unreachable"
    assert run(store, led, posting=posting, now=t2 + dt.timedelta(seconds=90))["dead"] == 1
    dead = store.get_item(item.id)
    assert dead is not None and dead.status is ItemStatus.DEAD and dead.attempts == 3
    assert led.payments == []


def test_backoff_doubles_and_caps() -> None:
    """Backoff is base times 2^(n-1), never above the cap."""
    settings = PostingSettings(retry_backoff="1m", retry_backoff_max="6h")  # type: ignore[arg-type]
    assert [backoff(n, settings).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(50, settings) == dt.timedelta(hours=6)


def test_permanent_error_is_dead_at_once(store: SQLiteStore, led: MemoryLedger) -> None:
    """A PermanentError from the adapter dead-letters the item on the first attempt."""
    led.fail("post_patient_payment", lambda: PermanentError("splits rejected", code="bad_plan"))
    [item] = record(store, payment())  # type: ignore[arg-type]
    assert run(store, led)["dead"] == 1
    dead = store.get_item(item.id)
    assert (
        dead is not None and dead.status is ItemStatus.DEAD and dead.last_error_code == "bad_plan"
    )


def test_data_error_from_the_pms_goes_to_review(store: SQLiteStore, led: MemoryLedger) -> None:
    """A DataError (the PMS data changed) becomes a pms_rejected review with the error code."""
    led.fail(
        "post_patient_payment", lambda: DataError("procedure P1 was deleted", code="charge_changed")
    )
    [item] = record(store, payment())  # type: ignore[arg-type]
    assert run(store, led)["review"] == 1
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "pms_rejected" and entry.item_id == item.id
    assert "procedure P1 was deleted [charge_changed]" in entry.message


def test_auth_error_stops_the_run_and_leaves_items_waiting(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """AuthError propagates (the daemon pauses the job); the item stays received, ledger closed."""
    led.fail("find_patient", lambda: AuthError("credentials refused"))
    [item] = record(store, payment())  # type: ignore[arg-type]
    with pytest.raises(AuthError):
        run(store, led)
    waiting = store.get_item(item.id)
    assert waiting is not None and waiting.status is ItemStatus.RECEIVED and led.closed


def test_unexpected_exception_fails_only_that_item(store: SQLiteStore, led: MemoryLedger) -> None:
    """A bug on one item is counted as a failure of that item; the next item still posts."""
    first, _second = record(store, payment("txn_1"), payment("txn_2", charge="ch_2"))  # type: ignore[arg-type]
    led.fail("find_patient", lambda: ZeroDivisionError("boom"))  # type: ignore[arg-type,return-value]
    counts = run(store, led)
    assert counts["failed"] == 1 and counts["posted"] == 1
    failed = store.get_item(first.id)
    assert failed is not None and failed.last_error_code == "unexpected"


def test_stop_event_ends_the_run_between_items(store: SQLiteStore, led: MemoryLedger) -> None:
    """With stop set nothing more is started."""
    record(store, payment())  # type: ignore[arg-type]
    stop = threading.Event()
    stop.set()
    assert sum(run(store, led, stop=stop).values()) == 0


def test_patient_note_is_its_own_step(store: SQLiteStore, led: MemoryLedger) -> None:
    """A note failing after the payment retries only the note: one payment, one note."""
    settings = practice(writeback={"patient_notes": True})
    led.fail("add_patient_note", lambda: TransientError("note service busy"))
    [item] = record(store, payment())  # type: ignore[arg-type]
    assert run(store, led, settings=settings)["failed"] == 1
    progress = store.get_item(item.id)
    assert progress is not None and "payment" in progress.progress["steps"]
    assert (
        run(store, led, settings=settings, now=NOW + dt.timedelta(hours=1))["already_posted"] == 1
    )
    assert len(led.payments) == 1 and len(led.notes) == 1
    assert led.notes[0]["text"].startswith("Online payment of 125.00 received 2026-11-18 15:04")
    assert run(store, led, settings=settings, now=NOW + dt.timedelta(hours=2)) == dict.fromkeys(
        ["posted", "review", "ignored", "already_posted", "failed", "dead", "deferred"], 0
    )


def test_dry_run_plans_and_logs_but_writes_nothing(store: SQLiteStore, led: MemoryLedger) -> None:
    """Dry run logs posting.planned / posting.review and leaves the PMS and the store alone."""
    led.add_charge("P1", patient="1", date="2026-10-01", amount="100.00")
    items = record(store, payment(), payment("txn_2", patient_ref="404", charge="ch_2"))  # type: ignore[arg-type]
    before = [store.history(i.id) for i in items]
    with capture_logs() as logs:
        counts = run(store, led, dry_run=True)
    assert counts["planned"] == 1 and counts["review"] == 1
    assert led.payments == [] and led.charges["P1"].amount_due == D("100.00")
    assert [store.history(i.id) for i in items] == before
    assert all((store.get_item(i.id) or i).status is ItemStatus.RECEIVED for i in items)
    assert store.list_reviews(state="all") == []
    events = {e["event"]: e for e in logs}
    assert events["posting.planned"]["plan"]["amount"] == "125.00"
    assert events["posting.review"]["reason"] == "patient_not_found"


def test_payout_failure_and_other_kinds(store: SQLiteStore, led: MemoryLedger) -> None:
    """A payout failure goes to review in words; a stray Stripe fee line is ignored."""
    fail = new_stripe(ItemKind.PAYOUT_FAILURE, "po_1:failed", "-500.00", patient_ref=None)
    other = new_stripe(ItemKind.STRIPE_OTHER, "txn_fee", "-2.00", txn_type="stripe_fee")
    _failed, ignored = record(store, fail, other)
    counts = run(store, led)
    assert counts["review"] == 1 and counts["ignored"] == 1
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "payout_failed" and "Payout po_1 of -500.00 failed" in entry.message
    assert (store.get_item(ignored.id) or ignored).status is ItemStatus.IGNORED


def test_daemon_dry_run_reaches_the_posting_job(
    tmp_path: Path, store: SQLiteStore, led: MemoryLedger
) -> None:
    """`run --once --dry-run`: the daemon's flag reaches the job through PollContext.dry_run,
    which plans without writing to the PMS or the items."""
    from connector.config import load_config
    from connector.daemon import Daemon
    from connector.posting.runner import PostingJob
    from connector.redaction import Redactor
    from tests.support.configs import od_practice, write_config

    loaded = load_config(write_config(tmp_path, [od_practice(PRACTICE)]), resolve_secrets=False)
    [item] = record(store, payment())  # type: ignore[arg-type]
    history = store.history(item.id)

    def jobs(p: object) -> list[PostingJob]:
        return [PostingJob.for_practice(p, redactor=Redactor(), ledger_factory=lambda _p: led)]  # type: ignore[arg-type]

    [outcome] = Daemon(loaded, store, Redactor(), job_factory=jobs, dry_run=True).run_once()  # type: ignore[arg-type]
    assert outcome.ok and outcome.summary is not None and outcome.summary["planned"] == 1
    assert led.payments == [] and store.history(item.id) == history
    assert (store.get_item(item.id) or item).status is ItemStatus.RECEIVED


def test_a_malformed_payload_goes_to_review(store: SQLiteStore, led: MemoryLedger) -> None:
    """An item whose payload cannot be read is reviewed as payload_invalid, naming the field."""
    bad = payment(created="not a date")
    [item] = record(store, bad)  # type: ignore[arg-type]
    assert run(store, led)["review"] == 1
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "payload_invalid" and entry.item_id == item.id
    assert "'created'" in entry.message


def test_a_retried_refund_failure_comes_back_to_review(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """A refund_failure line (recorded for review by the Stripe source) is never posted."""
    failure = new_stripe(ItemKind.STRIPE_OTHER, "txn_rf", "25.00", txn_type="refund_failure")
    record(store, failure)
    run(store, led)
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "refund_failed" and "A refund of ch_1 failed" in entry.message


def test_adapter_error_text_is_scrubbed_before_it_is_stored(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """A DataError message holding a secret or a card number is stored redacted in the review."""
    led.fail(
        "post_patient_payment", lambda: DataError("rejected 4242424242424242 sk_live_abcdefgh")
    )
    record(store, payment())  # type: ignore[arg-type]
    run(store, led)
    [entry] = store.list_reviews(PRACTICE)
    assert "4242424242424242" not in entry.message and "sk_live_abcdefgh" not in entry.message
    assert "[REDACTED]" in entry.message
