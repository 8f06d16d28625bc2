"""Is a practice's posting working? One answer for ``connector status`` and ``/healthz``.

Posting fails in two ways, and both mean money is not reaching the ledger:

* **the job fails** (the PMS cannot be reached, credentials refused, the store failed): the
  ``posting`` row of ``polls`` counts consecutive failures; it has failed since after its last
  success (``last_ok_at``), or since it first ran when it never succeeded;
* **items fail** while the job runs (the PMS refuses those items): items in ``failed`` wait
  for their retry, ``dead`` ones for a person. An item has been failing since the first
  failure of its current streak, read from its history.

Only ids, codes and the stored (scrubbed) error words appear, never patient data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from connector.domain import ItemStatus
from connector.store import StateStore
from connector.store.base import PollState

JOB = "posting"
CHECKED = 10
"""Failed items (oldest first) whose history is read to find when failing began."""


@dataclass(frozen=True)
class PostingState:
    """The posting of one practice as support needs to see it.

    Attributes:
        job_failures: consecutive failed posting runs (0: the last run succeeded).
        last_ok_at: the last successful posting run, if any.
        first_run_at: when the job was first seen running (``last_started_at`` when it never
            succeeded), the start of a streak that never had a success.
        last_error_code, last_error: the job's last error, or the most recent failed item's.
        last_error_at: when that error happened.
        failing_items, dead_items: item counts.
        items_failing_since: first failure of the longest-failing ``failed`` item's streak.
    """

    practice_id: str
    job_failures: int
    last_ok_at: dt.datetime | None
    last_error_code: str | None
    last_error: str | None
    last_error_at: dt.datetime | None
    failing_items: int
    dead_items: int
    items_failing_since: dt.datetime | None

    @property
    def failing(self) -> bool:
        """The job fails, or items wait for a retry."""
        return self.job_failures > 0 or self.failing_items > 0

    def failing_since(self, fallback: dt.datetime | None = None) -> dt.datetime | None:
        """Since when posting has failed: the job's streak (after its last success, else
        ``fallback``) or the longest item streak, whichever is older; None when not failing."""
        times = []
        if self.job_failures:
            start = self.last_ok_at or fallback
            if start is not None:
                times.append(start)
        if self.failing_items and self.items_failing_since is not None:
            times.append(self.items_failing_since)
        return min(times) if times else None

    def to_json(self) -> dict[str, Any]:
        """JSON for ``connector status --json``."""
        since = self.failing_since()
        return {
            "state": "failing" if self.failing else "ok", "job_failures": self.job_failures,
            "last_ok_at": _iso(self.last_ok_at), "failing_since": _iso(since),
            "failing_items": self.failing_items, "dead_items": self.dead_items,
            "last_error_code": self.last_error_code, "last_error": self.last_error,
            "last_error_at": _iso(self.last_error_at),
        }  # fmt: skip


def posting_state(
    store: StateStore, practice_id: str, polls: list[PollState], counts: dict[str, int]
) -> PostingState:
    """The practice's posting state from its poll row, item counts and failed items."""
    job = next((p for p in polls if p.practice_id == practice_id and p.source == JOB), None)
    failing = counts.get(ItemStatus.FAILED.value, 0)
    code = job.last_error_code if job and job.consecutive_failures else None
    error = job.last_error if code and job else None
    at = job.last_error_at if code and job else None
    since = None
    if failing:
        items = store.items_with_status(ItemStatus.FAILED, practice_id)
        newest = max(items, key=lambda i: i.updated_at, default=None)
        if code is None and newest is not None:
            code, error, at = newest.last_error_code, newest.last_error, newest.updated_at
        oldest = items[:CHECKED]  # oldest first: the longest streaks, history read for a few
        starts = [s for s in (_streak_start(store, i.id) for i in oldest) if s is not None]
        since = min(starts) if starts else None
    return PostingState(
        practice_id=practice_id, job_failures=job.consecutive_failures if job else 0,
        last_ok_at=job.last_ok_at if job else None, last_error_code=code, last_error=error,
        last_error_at=at, failing_items=failing,
        dead_items=counts.get(ItemStatus.DEAD.value, 0), items_failing_since=since,
    )  # fmt: skip


def _streak_start(store: StateStore, item_id: int) -> dt.datetime | None:
    """The first move to ``failed`` after the item last left that status."""
    start = None
    for entry in store.history(item_id):
        if entry.to_status == ItemStatus.FAILED.value:
            start = start or entry.at
        elif entry.to_status is not None:
            start = None
    return start


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
