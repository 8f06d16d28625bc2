"""In-process metrics (``prometheus_client``), exposed by :mod:`connector.health` on ``/metrics``.

Counters and the poll-latency histogram are labelled by practice (ids only). Item counts and
the review queue are read from the store at scrape time, so they are right after a restart
too. The metric names are listed in docs/operations.md ("Health and metrics").

Each :class:`Metrics` has its own registry (not the library's global one), so several daemons
in one process (tests) do not share counters. Counters and histograms export no ``*_created``
series: the library is told so once, for the whole process.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_LATENCY_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]


class _StoreGauges(Collector):
    """``connector_items`` and ``connector_review_queue``, read from the store when scraped."""

    def __init__(self) -> None:
        self.store: Any = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The two gauges (nothing before a store is watched)."""
        store = self.store
        if store is None:
            return
        items = GaugeMetricFamily(
            "connector_items",
            "Items in the state store by practice and status.",
            labels=["practice", "status"],
        )
        for practice, statuses in sorted(store.status_counts().items()):
            for status, count in sorted(statuses.items()):
                items.add_metric([practice, status], count)
        yield items
        reviews = GaugeMetricFamily(
            "connector_review_queue", "Open review items by practice.", labels=["practice"]
        )
        for practice, count in sorted(store.count_open_reviews().items()):
            reviews.add_metric([practice], count)
        yield reviews


class Metrics:
    """Job counters and a poll-latency histogram (thread-safe: ``prometheus_client`` locks)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._store_gauges = _StoreGauges()
        self.registry.register(self._store_gauges)
        labels = ["practice", "job"]
        self.job_runs = Counter(
            "connector_job_runs", "Job runs by outcome.", [*labels, "outcome"],
            registry=self.registry,
        )  # fmt: skip
        self.errors = Counter(
            "connector_errors", "Job failures by error code.", [*labels, "code"],
            registry=self.registry,
        )  # fmt: skip
        self.counts = Counter(
            "connector_job_items", "Counts reported by job runs (posted, recorded, review, …).",
            [*labels, "what"], registry=self.registry,
        )  # fmt: skip
        self.poll_seconds = Histogram(
            "connector_poll_seconds", "Job run duration in seconds.", labels,
            buckets=_LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip

    def job_finished(
        self,
        practice_id: str,
        job: str,
        seconds: float,
        ok: bool,
        code: str | None,
        summary: dict[str, int] | None,
    ) -> None:
        """Record one job run: outcome, latency, error code and the counts it reported.

        Only whole, non-negative counts are added (a counter never goes down).
        """
        self.job_runs.labels(practice_id, job, "ok" if ok else "failed").inc()
        if code:
            self.errors.labels(practice_id, job, code).inc()
        for name, value in (summary or {}).items():
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                self.counts.labels(practice_id, job, name).inc(value)
        self.poll_seconds.labels(practice_id, job).observe(seconds)

    def watch_store(self, store: Any) -> None:
        """Report ``store``'s item counts and review queue with the metrics from now on."""
        self._store_gauges.store = store

    def render(self) -> str:
        """The Prometheus text exposition of everything (what ``/metrics`` answers)."""
        return generate_latest(self.registry).decode()
