"""Health and metrics endpoint: Prometheus text and a health verdict from real poll state."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from decimal import Decimal

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
    assert 'connector_items{practice="p1",status="received"} 1' in body
    assert 'connector_errors_total{practice="p1",job="stripe",code="rate_limited"} 1' in body
    assert 'connector_job_items_total{practice="p1",job="stripe",what="recorded"} 1' in body
    assert 'connector_poll_seconds_bucket{practice="p1",job="stripe",le="0.5"} 1' in body
    assert 'connector_poll_seconds_count{practice="p1",job="stripe"} 2' in body


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
