"""Which payouts a poll reads: the window, in words for logs, ``check-config`` and ``status``.

A poll lists paid payouts whose ``arrival_date`` is at or after ``since``:

* **first run with ``start``** (no cursor yet; ``payments.stripe.start: 2026-11-01``, the
  convention of the Singer and Airbyte Stripe sources): ``since`` is that date, 00:00 UTC
  (Stripe's ``arrival_date`` is a calendar date stamped at midnight UTC). The first cursor is
  anchored ``lookback`` after it, so a first run cut short resumes from the same date;
* **first run without ``start``**: ``since`` is ``now - lookback`` only, and the poll says so
  (older paid payouts are not read; set ``start`` to read them);
* **later runs**: ``since`` is the cursor's anchor (the newest payout recorded, never past one
  still waiting) minus ``lookback``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from connector.config import StripeSettings
from connector.sources.stripe.payouts import CURSOR_VERSION


def start_timestamp(start: dt.date) -> int:
    """``start`` at 00:00 UTC, in Unix seconds (how Stripe stamps ``arrival_date``)."""
    return int(dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC).timestamp())


def first_anchor(settings: StripeSettings, now: dt.datetime) -> int:
    """The anchor of a first cursor: ``start + lookback`` when ``start`` is set, else now."""
    if settings.start is None:
        return int(now.timestamp())
    return start_timestamp(settings.start) + int(settings.lookback.total_seconds())


def is_first_run(stored: dict[str, Any] | None) -> bool:
    """True when no usable cursor is stored yet."""
    return not stored or stored.get("version") != CURSOR_VERSION


@dataclass(frozen=True)
class Window:
    """The payouts one poll reads.

    Attributes:
        since: the first ``arrival_date`` listed (Unix seconds).
        first_run: no cursor was stored.
        basis: ``start`` (first run from the configured date), ``lookback`` (first run without
            ``start``) or ``cursor``.
        lookback: the configured look-back.
        resume_payout: a payout an earlier poll half read, if any.
    """

    since: int
    first_run: bool
    basis: str
    lookback: dt.timedelta
    resume_payout: str | None = None

    @property
    def since_date(self) -> str:
        """``since`` as an ISO date-time in UTC."""
        return dt.datetime.fromtimestamp(self.since, dt.UTC).isoformat(timespec="minutes")

    def words(self) -> str:
        """The window in plain words."""
        days = _span(self.lookback)
        if self.basis == "start":
            text = f"first run: payouts that arrived since {self.since_date} (start)"
        elif self.basis == "lookback":
            text = (
                f"first run without start: payouts that arrived since {self.since_date} "
                f"only (the last {days}); set payments.stripe.start to read older payouts"
            )
        else:
            text = (
                f"payouts that arrived since {self.since_date} ({days} before the newest "
                "payout recorded)"
            )
        if self.resume_payout:
            text += f"; resuming inside payout {self.resume_payout}"
        return text

    def fields(self) -> dict[str, Any]:
        """Log / JSON fields."""
        return {
            "since": self.since_date,
            "first_run": self.first_run,
            "basis": self.basis,
            "lookback": _span(self.lookback),
            "resume_payout": self.resume_payout,
        }


def window_of(settings: StripeSettings, stored: dict[str, Any] | None, now: dt.datetime) -> Window:
    """The window the next poll reads, from the settings and the stored cursor."""
    lookback = int(settings.lookback.total_seconds())
    if stored is None or is_first_run(stored):
        basis = "lookback" if settings.start is None else "start"
        return Window(first_anchor(settings, now) - lookback, True, basis, settings.lookback)
    partial = stored.get("partial") or {}
    return Window(
        int(stored["anchor"]) - lookback,
        False,
        "cursor",
        settings.lookback,
        resume_payout=partial.get("payout"),
    )


def first_run_words(settings: StripeSettings) -> str:
    """What the first poll reads, from the settings alone (for ``check-config``)."""
    days = _span(settings.lookback)
    if settings.start is None:
        return (
            f"first run reads payouts of the last {days} only (no start set; "
            "`connector status` shows the window in use)"
        )
    return (
        f"first run reads payouts that arrived since {settings.start.isoformat()} (start), "
        f"then {days} before the newest payout recorded"
    )


def _span(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86_400 == 0:
        return f"{seconds // 86_400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds}s"
