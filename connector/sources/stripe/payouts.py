"""Pure payout rules: is a paid payout ready to record, and where does the cursor go next.

The cursor (stored as JSON under source ``stripe``) is::

    {"version": 1, "anchor": <unix seconds>, "done": {"po_…": <arrival_date>, …},
     "partial": {"payout": "po_…", "after": "txn_…", "pages": 2, "entries": […]}}

``partial`` (absent when no payout is half read) is the place inside a long payout whose
reading was cut short (rate limit, stop); see :mod:`.progress`.

Each poll lists paid payouts whose ``arrival_date`` is at or after ``anchor - lookback``.
``done`` names the payouts already recorded whole, so re-reading the window costs one list
call and no transaction calls; items are keyed by ``txn_…`` anyway, so even a lost cursor
records nothing twice. The anchor follows the arrival date of the newest payout recorded, but
never passes a paid payout that is still waiting (reconciliation running, or inside the settle
delay): that payout stays inside the next window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from connector.sources.stripe.progress import PayoutProgress

CURSOR_VERSION = 1
_DAY = 86_400


class Readiness(StrEnum):
    """What to do with one paid payout now."""

    READY = "ready"  # list and record its transactions
    MANUAL = "manual"  # automatic == false: Stripe cannot list its transactions
    NOT_RECONCILED = "not_reconciled"  # reconciliation_status is not completed yet
    SETTLING = "settling"  # inside the configured settle delay after arrival_date


def readiness(payout: dict[str, Any], now: dt.datetime, settle_delay: dt.timedelta) -> Readiness:
    """Classify a ``paid`` payout (manual first: its reconciliation is ``not_applicable``)."""
    if payout.get("automatic") is False:
        return Readiness.MANUAL
    if payout.get("reconciliation_status") != "completed":
        return Readiness.NOT_RECONCILED
    if now.timestamp() < int(payout.get("arrival_date") or 0) + settle_delay.total_seconds():
        return Readiness.SETTLING
    return Readiness.READY


def sort_key(payout: dict[str, Any]) -> tuple[int, int, str]:
    """Oldest arrival first (Stripe lists newest first)."""
    return int(payout.get("arrival_date") or 0), int(payout.get("created") or 0), str(payout["id"])


@dataclass
class Cursor:
    """Where the next payout window starts and which payouts are already recorded whole."""

    anchor: int
    done: dict[str, int] = field(default_factory=dict)
    partial: PayoutProgress | None = None

    @classmethod
    def load(
        cls, stored: dict[str, Any] | None, now: dt.datetime, first_anchor: int | None = None
    ) -> Cursor:
        """The stored cursor, or a first one anchored at ``first_anchor`` (default ``now``)."""
        if not stored or stored.get("version") != CURSOR_VERSION:
            return cls(anchor=int(now.timestamp()) if first_anchor is None else first_anchor)
        done = {str(k): int(v) for k, v in dict(stored.get("done") or {}).items()}
        partial = stored.get("partial")
        return cls(anchor=int(stored["anchor"]), done=done,
                   partial=PayoutProgress.from_json(partial) if partial else None)  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """JSON form stored with the items."""
        data: dict[str, Any] = {"version": CURSOR_VERSION, "anchor": self.anchor,
                                "done": dict(self.done)}  # fmt: skip
        if self.partial is not None:
            data["partial"] = self.partial.to_json()
        return data

    def with_partial(self, progress: PayoutProgress | None) -> Cursor:
        """The same cursor holding ``progress`` (None: no payout half read)."""
        return Cursor(anchor=self.anchor, done=dict(self.done), partial=progress)

    def window_start(self, lookback: dt.timedelta) -> int:
        """First ``arrival_date`` to list."""
        return self.anchor - int(lookback.total_seconds())

    def after_recording(
        self, payout: dict[str, Any], *, held_at: int | None, keep: dt.timedelta
    ) -> Cursor:
        """The cursor once ``payout`` is recorded whole.

        Args:
            held_at: arrival date of the oldest paid payout still waiting, if any.
            keep: how long to remember recorded payouts (the longest lookback plus a day).
        """
        arrival = int(payout.get("arrival_date") or 0)
        anchor = max(self.anchor, arrival)
        if held_at is not None:
            anchor = min(anchor, held_at)
        done = {**self.done, str(payout["id"]): arrival}
        horizon = anchor - int(keep.total_seconds()) - _DAY
        partial = self.partial if self.partial and self.partial.payout != payout["id"] else None
        return Cursor(anchor=anchor, done={k: v for k, v in done.items() if v >= horizon},
                      partial=partial)  # fmt: skip
