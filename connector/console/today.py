"""The Today page's numbers per practice: posted today, waiting, failed and dead, quarantined
files, payouts not cleared, the last run of each job, and whether an outage is going on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from connector.clock import Clock, local_today
from connector.config import PracticeSettings
from connector.console.quarantine import list_quarantined
from connector.money import from_cents
from connector.store.base import PollState
from connector.store.console_base import ConsoleStore

JOB_WORDS = {"stripe": "Card payments (Stripe)", "era": "Insurance ERAs", "posting": "PMS posting"}


@dataclass(frozen=True)
class PracticeToday:
    """One practice's day so far."""

    practice: PracticeSettings
    posted_count: int
    posted_amount: Decimal
    waiting: int
    failed: int
    dead: int
    queued: int
    quarantined: int
    payouts_waiting: int
    polls: list[PollState] = field(default_factory=list)
    outages: list[PollState] = field(default_factory=list)


def practice_today(store: ConsoleStore, practice: PracticeSettings, clock: Clock) -> PracticeToday:
    """Collect the practice's numbers for its local day (by the injected clock)."""
    zone_day = local_today(clock, practice.timezone)
    start = _local_midnight(zone_day, practice.timezone)
    count, cents = store.posted_between(practice.id, start, start + dt.timedelta(days=1))
    statuses = store.status_counts().get(practice.id, {})
    polls = store.poll_states(practice.id)
    stripe = [p for p in polls if p.source == "stripe"]
    return PracticeToday(
        practice=practice,
        posted_count=count,
        posted_amount=from_cents(cents),
        waiting=store.count_open_reviews().get(practice.id, 0),
        failed=statuses.get("failed", 0),
        dead=statuses.get("dead", 0),
        queued=statuses.get("received", 0),
        quarantined=len(list_quarantined(practice)),
        payouts_waiting=int(stripe[0].last_summary.get("payouts_waiting", 0)) if stripe else 0,
        polls=polls,
        outages=[p for p in polls if p.consecutive_failures > 0],
    )


def _local_midnight(day: dt.date, timezone: str) -> dt.datetime:
    from zoneinfo import ZoneInfo  # noqa: PLC0415 - small, used here only

    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(timezone))
