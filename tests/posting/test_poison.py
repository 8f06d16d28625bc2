"""One item the PMS chokes on ("poison") while the PMS is up: the job probes the PMS, counts the
failure against that item only and goes on with the others; a failed probe keeps the outage
behaviour (tests/posting/test_outage.py). Open Dental end to end: test_poison_opendental.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from structlog.testing import capture_logs

from adapters.base import VendorInfo
from adapters.memory import MemoryLedger
from connector.clock import FixedClock
from connector.config import PostingSettings
from connector.domain import ItemKind, ItemStatus
from connector.errors import AuthError, ConnectorError, PermanentError, TransientError
from connector.jobs import PollContext
from connector.logging import get_logger
from connector.posting.runner import PMS_UP_NOTE, PmsUnavailable, PostingJob
from connector.redaction import Redactor
from connector.store import SQLiteStore
from tests.posting.helpers import new_stripe, practice, record
from tests.posting.runner_support import NOW, run
from tests.posting.test_outage import _outage

FAST = {"max_attempts": 3, "retry_backoff": "1s", "retry_backoff_max": "1s"}


def _payments(store: SQLiteStore, count: int) -> list[int]:
    items = [
        new_stripe(ItemKind.PATIENT_PAYMENT, f"txn_{n}", "10.00")  # type: ignore[arg-type]
        for n in range(count)
    ]
    return [item.id for item in record(store, *items)]


def _message(store: SQLiteStore, item_id: int) -> str:
    """The error message stored with the item's last status change (its history)."""
    return str(store.history(item_id)[-1].detail["message"])


def _choked() -> TransientError:
    return TransientError("Open Dental API failed during payments_post (HTTP 500)",
                          code="pms_api_unavailable")  # fmt: skip


def test_poison_item_fails_alone_and_the_run_goes_on(store: SQLiteStore, led: MemoryLedger) -> None:
    """The PMS answers the probe after the first item's write fails as unreachable: that item
    is failed with backoff and a message saying the PMS is up, the other items post, the job
    succeeds, and the item's write is not repeated within the run."""
    poison, *others = _payments(store, 3)
    led.fail("post_patient_payment", _choked, times=1)
    with capture_logs() as logs:
        counts = run(store, led, posting=FAST)
    assert (counts["posted"], counts["failed"], counts["dead"]) == (2, 1, 0)
    item = store.get_item(poison)
    assert item is not None and item.status is ItemStatus.FAILED and item.attempts == 1
    assert item.last_error_code == "pms_api_unavailable"
    assert PMS_UP_NOTE in _message(store, poison)
    assert item.next_attempt_at is not None and item.next_attempt_at > NOW
    assert all(store.get_item(i).status is ItemStatus.POSTED for i in others)  # type: ignore[union-attr]
    assert led.calls.count("ping") == 1 and led.calls.count("post_patient_payment") == 3
    assert len(led.payments) == 2
    failed = [e for e in logs if e["event"] == "posting.failed"]
    assert [(e["log_level"], e["item_id"], e["pms_up"]) for e in failed] == [
        ("warning", poison, True)
    ]


def test_poison_item_dies_after_max_attempts_with_a_clear_message(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """An item the PMS refuses on every attempt while it is up goes dead after max_attempts,
    saying the PMS answered other requests; no run raises."""
    [poison] = _payments(store, 1)
    led.fail("post_patient_payment", _choked, times=99)
    outcomes = [run(store, led, posting=FAST, now=NOW + dt.timedelta(seconds=5 * n))
                for n in range(3)]  # fmt: skip
    assert [(c["failed"], c["dead"]) for c in outcomes] == [(1, 0), (1, 0), (0, 1)]
    item = store.get_item(poison)
    assert item is not None and item.status is ItemStatus.DEAD and item.attempts == 3
    message = _message(store, poison)
    assert message.startswith("gave up after 3 attempts: Open Dental API failed") and (
        PMS_UP_NOTE in message
    )
    assert led.payments == []


def _crash() -> VendorInfo:
    raise RuntimeError("bug in ping")


@pytest.mark.parametrize(
    "probe_error",
    [
        lambda: AuthError("refused", code="pms_api_auth"),
        lambda: PermanentError("odd answer", code="pms_api_bad_response"),
        None,  # the probe crashes with a RuntimeError (a bug)
    ],
    ids=["auth", "permanent", "crash"],
)
def test_any_probe_failure_keeps_the_outage_behaviour(
    store: SQLiteStore,
    led: MemoryLedger,
    monkeypatch: pytest.MonkeyPatch,
    probe_error: Callable[[], ConnectorError] | None,
) -> None:
    """Whatever the probe raises, the item's unreachable error stays an outage: the run stops
    with PmsUnavailable carrying the item's code, the next item is not tried, nothing dies."""
    first, second = _payments(store, 2)
    led.fail("find_patient", _choked, times=1)
    if probe_error is None:
        monkeypatch.setattr(led, "ping", _crash)
    else:
        led.fail("ping", probe_error, times=1)
    with capture_logs() as logs, pytest.raises(PmsUnavailable) as caught:
        run(store, led, posting={**FAST, "max_attempts": 1})
    probe_events = [e["event"] for e in logs if e["event"].startswith("posting.probe")]
    assert probe_events == [
        "posting.probe_crashed" if probe_error is None else "posting.probe_failed"
    ]
    assert caught.value.code == "pms_api_unavailable"
    assert isinstance(caught.value.__cause__, TransientError)
    assert led.calls.count("find_patient") == 1
    states = [store.get_item(i) for i in (first, second)]
    assert [(s.status, s.attempts) for s in states if s] == [
        (ItemStatus.FAILED, 0),  # an outage does not use up the item's attempts
        (ItemStatus.RECEIVED, 0),
    ]


def test_a_poison_item_does_not_keep_the_job_in_an_outage(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """After a real outage the job probes with the next waiting item even before it is due;
    when that item is poison but the PMS answers, the job succeeds and the following runs do
    not pick the poison item again (the practice is no longer in an outage)."""
    [poison] = _payments(store, 1)
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

    _outage(led, 1)
    with pytest.raises(PmsUnavailable):
        job.poll(ctx(0))
    led.fail("find_patient", _choked, times=99)  # the PMS is back; this item still chokes it
    assert job.poll(ctx(1))["failed"] == 1
    tried = led.calls.count("find_patient")
    for minute in (2, 3):  # the item's next attempt is hours away: nothing to do, no probe
        assert sum(job.poll(ctx(minute)).values()) == 0
    assert led.calls.count("find_patient") == tried
    item = store.get_item(poison)
    # one failure of its own; the failure during the outage did not count
    assert item is not None and item.status is ItemStatus.FAILED and item.attempts == 1
    assert PMS_UP_NOTE in _message(store, poison)
