"""A PMS outage during a posting run: the run stops, nothing is dead-lettered for it, and the
job fails with the adapter's code (so the daemon logs it once).

An outage here is what it is for real: the PMS refuses the item's read *and* the job's
reachability probe (``ping``); tests/posting/test_poison.py covers a PMS that is up."""

from __future__ import annotations

import datetime as dt

import pytest
from structlog.testing import capture_logs

from adapters.memory import MemoryLedger
from connector.clock import FixedClock
from connector.domain import ItemKind, ItemStatus
from connector.errors import TransientError
from connector.posting.runner import PmsUnavailable
from connector.store import SQLiteStore
from tests.posting.helpers import new_stripe, record
from tests.posting.runner_support import NOW, run


def _payments(store: SQLiteStore, count: int) -> list[int]:
    items = [
        new_stripe(ItemKind.PATIENT_PAYMENT, f"txn_{n}", "10.00")  # type: ignore[arg-type]
        for n in range(count)
    ]
    return [item.id for item in record(store, *items)]


def _down() -> TransientError:
    return TransientError("Open Dental API unreachable", code="pms_api_unavailable")


def _outage(led: MemoryLedger, times: int) -> None:
    """The PMS is down for ``times`` calls of each kind: the item's read and the probe fail."""
    led.fail("find_patient", _down, times=times)
    led.fail("ping", _down, times=times)


def test_outage_stops_the_run_and_fails_the_job_with_the_adapter_code(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """The first unreachable error ends the run: later items are not tried, the job raises
    PmsUnavailable carrying ``pms_api_unavailable``."""
    first, second, third = _payments(store, 3)
    _outage(led, 1)
    with pytest.raises(PmsUnavailable) as caught:
        run(store, led)
    assert caught.value.code == "pms_api_unavailable"
    assert caught.value.context["item_id"] == first
    states = [store.get_item(i).status for i in (first, second, third)]  # type: ignore[union-attr]
    assert states == [ItemStatus.FAILED, ItemStatus.RECEIVED, ItemStatus.RECEIVED]
    assert led.payments == []


def test_an_outage_never_dead_letters_an_item(store: SQLiteStore, led: MemoryLedger) -> None:
    """An item failing only because the PMS is down stays failed (retried), however often,
    and keeps its whole attempt budget for failures of its own."""
    [item_id] = _payments(store, 1)
    _outage(led, 99)
    posting = {"max_attempts": 2, "retry_backoff": "1s", "retry_backoff_max": "1s"}
    for n in range(4):
        with pytest.raises(PmsUnavailable):
            run(store, led, posting=posting, now=NOW + dt.timedelta(seconds=5 * n))
    item = store.get_item(item_id)
    assert item is not None and item.status is ItemStatus.FAILED and item.attempts == 0
    assert item.last_error_code == "pms_api_unavailable"


def test_outage_is_not_logged_per_item_and_recovery_posts_everything(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """Item-level failure lines during an outage are debug only; once the PMS answers again
    every item posts exactly once."""
    ids = _payments(store, 3)
    _outage(led, 1)
    with capture_logs() as logs, pytest.raises(PmsUnavailable):
        run(store, led)
    assert [e["log_level"] for e in logs if e["event"] == "posting.failed"] == ["debug"]
    counts = run(store, led, now=NOW + dt.timedelta(minutes=5))
    assert counts["posted"] == 3
    assert all(store.get_item(i).status is ItemStatus.POSTED for i in ids)  # type: ignore[union-attr]
    assert len(led.payments) == 3


def test_while_the_pms_stays_down_every_run_fails_even_with_nothing_due(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """With every item waiting out its backoff, the job probes the PMS with the next item
    instead of succeeding on an empty run (which would log a false recovery); once the PMS
    answers, the probe posts and the job succeeds."""
    from connector.config import PostingSettings
    from connector.jobs import PollContext
    from connector.logging import get_logger
    from connector.posting.runner import PostingJob
    from connector.redaction import Redactor
    from tests.posting.helpers import practice

    [item_id] = _payments(store, 1)
    settings = practice()
    job = PostingJob.for_practice(
        settings, redactor=Redactor(), ledger_factory=lambda _p: led,
        posting=PostingSettings.model_validate({"retry_backoff": "1h", "retry_backoff_max": "6h"}),
    )  # fmt: skip

    def ctx(minutes: int) -> PollContext:
        return PollContext(
            practice=settings,
            store=store,
            redactor=Redactor(),
            log=get_logger("t"),
            clock=FixedClock(NOW + dt.timedelta(minutes=minutes)),
        )

    _outage(led, 3)
    for minute in (0, 1, 2):  # the item's next attempt is an hour away after the first
        with pytest.raises(PmsUnavailable):
            job.poll(ctx(minute))
    assert job.poll(ctx(3))["posted"] == 1
    assert job.poll(ctx(4))["posted"] == 0
    item = store.get_item(item_id)
    assert item is not None and item.status is ItemStatus.POSTED
