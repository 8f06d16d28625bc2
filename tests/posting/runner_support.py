"""Run the posting job against a real SQLiteStore and a MemoryLedger."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from adapters.memory import MemoryLedger
from connector.clock import FixedClock
from connector.config import PostingSettings, PracticeSettings
from connector.jobs import PollContext
from connector.logging import get_logger
from connector.posting.runner import PostingJob
from connector.redaction import Redactor
from connector.store import StateStore
from tests.posting.helpers import practice as make_practice

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def run(
    store: StateStore,
    led: MemoryLedger,
    *,
    settings: PracticeSettings | None = None,
    dry_run: bool = False,
    posting: dict[str, Any] | None = None,
    now: dt.datetime = NOW,
    stop: threading.Event | None = None,
) -> dict[str, int]:
    """One posting run at ``now``; returns the job's counts."""
    chosen = settings or make_practice()
    job = PostingJob.for_practice(
        chosen,
        redactor=Redactor(),
        dry_run=dry_run,
        posting=PostingSettings.model_validate(posting or {}),
        ledger_factory=lambda _p: led,
    )
    ctx = PollContext(
        practice=chosen,
        store=store,
        redactor=Redactor(),
        log=get_logger("connector.posting"),
        stop=stop or threading.Event(),
        clock=FixedClock(now),
        dry_run=False,
    )
    return job.poll(ctx)
