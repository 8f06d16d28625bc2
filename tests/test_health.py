"""Health and metrics endpoint: Prometheus text and a health verdict from real poll state."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from decimal import Decimal
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from connector.clock import FixedClock
from connector.domain import ItemKind, NewItem
from connector.health import HealthServer
from connector.metrics import Metrics
from connector.store import SQLiteStore


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_metrics_expose_items_reviews_jobs_and_latency(store: SQLiteStore) -> None:
    """/metrics shows item counts by status, the review queue, job outcomes and a histogram."""
    store.record("p1", "stripe", [NewItem("t1", ItemKind.PATIENT_PAYMENT, {}, Decimal("5.00"))])
    metrics = Metrics()
    metrics.job_finished("p1", "stripe", 0.3, ok=True, code=None, summary={"recorded": 1})
    metrics.job_finished("p1", "stripe", 2.0, ok=False, code="rate_limited", summary=None)
    server = HealthServer(
        "127.0.0.1", 0, store=store, metrics=metrics, expected={}, alive=lambda: True
    )
    server.start()
    try:
        status, body = _get(server.port, "/metrics")
    finally:
        server.stop()
    assert status == 200
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }
    p1 = (("practice", "p1"),)
    stripe = (("job", "stripe"), ("practice", "p1"))
    assert samples[("connector_items", (*p1, ("status", "received")))] == 1
    assert "# TYPE connector_review_queue gauge" in body
    assert samples[("connector_job_runs_total", (*stripe[:1], ("outcome", "ok"), *p1))] == 1
    assert samples[("connector_errors_total", (("code", "rate_limited"), *stripe))] == 1
    assert samples[("connector_job_items_total", (*stripe, ("what", "recorded")))] == 1
    assert samples[("connector_poll_seconds_bucket", (*stripe[:1], ("le", "0.5"), *p1))] == 1
    assert samples[("connector_poll_seconds_bucket", (*stripe[:1], ("le", "+Inf"), *p1))] == 2
    assert samples[("connector_poll_seconds_count", stripe)] == 2
    assert samples[("connector_poll_seconds_sum", stripe)] == 2.3
    assert not any(name.endswith("_created") for name, _ in samples)


def test_healthz_turns_unhealthy_when_a_source_goes_stale(
    store: SQLiteStore, clock: FixedClock
) -> None:
    """/healthz is 200 while polls are recent and 503, naming the job, once they are stale."""
    store.poll_succeeded("p1", "stripe", {})
    expected = {("p1", "stripe"): dt.timedelta(minutes=5)}
    server = HealthServer("127.0.0.1", 0, store=store, metrics=Metrics(), expected=expected,
                          alive=lambda: True, clock=clock)  # fmt: skip
    server.start()
    try:
        assert _get(server.port, "/healthz")[0] == 200
        clock.advance(dt.timedelta(minutes=14))  # stale after 3 intervals: 15 minutes
        assert _get(server.port, "/healthz")[0] == 200
        clock.advance(dt.timedelta(minutes=2))
        status, body = _get(server.port, "/healthz")
        assert status == 503
        assert "p1/stripe" in json.loads(body)["problems"][0]
        assert _get(server.port, "/nope")[0] == 404
    finally:
        server.stop()


def _health(store: SQLiteStore, clock: FixedClock, failing_after: dt.timedelta | None) -> Any:
    """A health server for practice p1's posting job (a daily schedule: never stale here)."""
    expected = {("p1", "posting"): dt.timedelta(days=1)}
    return HealthServer("127.0.0.1", 0, store=store, metrics=Metrics(), expected=expected,
                        alive=lambda: True, clock=clock, failing_after=failing_after)  # fmt: skip


def test_healthz_turns_unhealthy_when_posting_fails_longer_than_failing_after(
    store: SQLiteStore, clock: FixedClock
) -> None:
    """A posting job failing since its last success: fine for 30 minutes, then 503."""
    store.poll_succeeded("p1", "posting", {})
    last_ok = clock.now()
    server = _health(store, clock, dt.timedelta(minutes=30))
    server.start()
    try:
        clock.advance(dt.timedelta(minutes=5))
        store.poll_failed("p1", "posting", "pms_db_unavailable", "cannot reach the PMS database")
        assert _get(server.port, "/healthz")[0] == 200
        clock.advance(dt.timedelta(minutes=26))
        store.poll_failed("p1", "posting", "pms_db_unavailable", "cannot reach the PMS database")
        status, body = _get(server.port, "/healthz")
        assert status == 503
        (problem,) = json.loads(body)["problems"]
        assert problem.startswith("p1/posting: failing since ")
        assert problem.split("since ")[1][:16] == last_ok.isoformat()[:16]
        assert "[pms_db_unavailable]" in problem
        store.poll_succeeded("p1", "posting", {})
        assert _get(server.port, "/healthz")[0] == 200
    finally:
        server.stop()


def test_healthz_counts_items_failing_while_the_job_runs(
    store: SQLiteStore, clock: FixedClock
) -> None:
    """The job succeeds but an item keeps failing: 503 after failing_after; none without it."""
    store.record("p1", "stripe", [NewItem("t1", ItemKind.PATIENT_PAYMENT, {}, Decimal("5.00"))])
    item = store.find_item("p1", "t1")
    assert item is not None
    store.mark_failed(item.id, "pms_rejected", "the PMS refused it", clock.now())
    store.poll_succeeded("p1", "posting", {})
    server, silent = _health(store, clock, dt.timedelta(minutes=30)), _health(store, clock, None)
    server.start()
    silent.start()
    try:
        clock.advance(dt.timedelta(minutes=20))
        store.mark_failed(item.id, "pms_rejected", "the PMS refused it", clock.now())
        store.poll_succeeded("p1", "posting", {})
        assert _get(server.port, "/healthz")[0] == 200
        clock.advance(dt.timedelta(minutes=11))
        status, body = _get(server.port, "/healthz")
        assert status == 503 and "1 items waiting for a retry" in json.loads(body)["problems"][0]
        assert _get(silent.port, "/healthz")[0] == 200
        store.mark_posted(item.id, {"payment": "1"}, {})
        assert _get(server.port, "/healthz")[0] == 200
    finally:
        server.stop()
        silent.stop()
