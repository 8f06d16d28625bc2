"""In-process metrics, exposed in the Prometheus text format by :mod:`connector.health`.

Counters and gauges are labelled by practice (ids only). Item counts and the review queue are
read from the store at scrape time, so they are right after a restart too.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

_LATENCY_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class Metrics:
    """Thread-safe counters and a poll-latency histogram."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.job_runs: dict[tuple[str, str, str], int] = defaultdict(int)
        self.errors: dict[tuple[str, str, str], int] = defaultdict(int)
        self.counts: dict[tuple[str, str, str], int] = defaultdict(int)
        self._hist: dict[tuple[str, str], list[float]] = {}
        self._hist_sum: dict[tuple[str, str], float] = defaultdict(float)
        self._hist_count: dict[tuple[str, str], int] = defaultdict(int)

    def job_finished(
        self,
        practice_id: str,
        job: str,
        seconds: float,
        ok: bool,
        code: str | None,
        summary: dict[str, int] | None,
    ) -> None:
        """Record one job run: outcome, latency, error code and the counts it reported."""
        with self._lock:
            self.job_runs[(practice_id, job, "ok" if ok else "failed")] += 1
            if code:
                self.errors[(practice_id, job, code)] += 1
            for name, value in (summary or {}).items():
                if isinstance(value, int) and not isinstance(value, bool):
                    self.counts[(practice_id, job, name)] += value
            key = (practice_id, job)
            buckets = self._hist.setdefault(key, [0.0] * (len(_LATENCY_BUCKETS) + 1))
            for index, bound in enumerate(_LATENCY_BUCKETS):
                if seconds <= bound:
                    buckets[index] += 1
            buckets[-1] += 1
            self._hist_sum[key] += seconds
            self._hist_count[key] += 1

    def render(self, store: Any) -> str:
        """The Prometheus text exposition of everything, reading item counts from ``store``."""
        lines: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} {kind}")

        family("connector_items", "gauge", "Items in the state store by practice and status.")
        for practice, statuses in sorted(store.status_counts().items()):
            for status, count in sorted(statuses.items()):
                lines.append(f'connector_items{{practice="{practice}",status="{status}"}} {count}')
        family("connector_review_queue", "gauge", "Open review items by practice.")
        for practice, count in sorted(store.count_open_reviews().items()):
            lines.append(f'connector_review_queue{{practice="{practice}"}} {count}')
        with self._lock:
            family("connector_job_runs_total", "counter", "Job runs by outcome.")
            for (practice, job, outcome), n in sorted(self.job_runs.items()):
                lines.append(
                    f'connector_job_runs_total{{practice="{practice}",job="{job}",'
                    f'outcome="{outcome}"}} {n}'
                )
            family("connector_errors_total", "counter", "Job failures by error code.")
            for (practice, job, code), n in sorted(self.errors.items()):
                lines.append(
                    f'connector_errors_total{{practice="{practice}",job="{job}",code="{code}"}} {n}'
                )
            family(
                "connector_job_items_total",
                "counter",
                "Counts reported by job runs (posted, recorded, review, …).",
            )
            for (practice, job, name), n in sorted(self.counts.items()):
                lines.append(
                    f'connector_job_items_total{{practice="{practice}",job="{job}",'
                    f'what="{name}"}} {n}'
                )
            family("connector_poll_seconds", "histogram", "Job run duration in seconds.")
            for (practice, job), buckets in sorted(self._hist.items()):
                labels = f'practice="{practice}",job="{job}"'
                for bound, count in zip(_LATENCY_BUCKETS, buckets, strict=False):
                    lines.append(
                        f'connector_poll_seconds_bucket{{{labels},le="{bound}"}} {count:g}'
                    )
                lines.append(f'connector_poll_seconds_bucket{{{labels},le="+Inf"}} {buckets[-1]:g}')
                lines.append(
                    f"connector_poll_seconds_sum{{{labels}}} {self._hist_sum[(practice, job)]:.6f}"
                )
                lines.append(
                    f"connector_poll_seconds_count{{{labels}}} {self._hist_count[(practice, job)]}"
                )
        return "\n".join(lines) + "\n"
