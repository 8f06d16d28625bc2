"""The one source of "now": everything that reads the time takes a :class:`Clock`.

Production code receives :data:`SYSTEM` (the wall clock, timezone-aware UTC); tests pass a
:class:`FixedClock` that only moves when told to. Nothing outside this module calls
``datetime.now()``, ``date.today()`` or ``time.time()`` for a decision: a rule that reads the
calendar directly would pass on the day it is written and fail a month later.

Two kinds of time are kept apart:

- :meth:`Clock.now` is calendar time (look-back windows, cursors, due dates, "today" in
  reports, timestamps in the store and in PMS rows);
- :meth:`Clock.monotonic` measures durations (lease deadlines, file-stability windows, rate
  limits). A fixed clock moves both together, so a test can "wait" without sleeping.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """What every component reads the time from."""

    def now(self) -> dt.datetime:
        """The current calendar time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (only differences mean anything)."""
        ...


class SystemClock:
    """The real clock: ``datetime.now(UTC)`` and ``time.monotonic()``."""

    def now(self) -> dt.datetime:
        """The wall clock, UTC."""
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        """The process's monotonic clock."""
        return time.monotonic()

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that stands still until :meth:`advance` or :meth:`set` moves it (tests, demo).

    Args:
        start: the calendar time it shows (naive values are taken as UTC).
        tick: when given, every :meth:`now` call moves the clock on by this much afterwards,
            so code that expects time to pass between two reads sees it pass.
    """

    def __init__(self, start: dt.datetime, *, tick: dt.timedelta | None = None) -> None:
        self._now = _aware(start)
        self._mono = 1_000.0
        self._tick = tick
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        """The time it shows (then one ``tick`` later, if set)."""
        with self._lock:
            shown = self._now
            if self._tick is not None:
                self._move(self._tick)
            return shown

    def monotonic(self) -> float:
        """Seconds since an arbitrary start, moved only with the calendar time."""
        with self._lock:
            return self._mono

    def advance(self, delta: dt.timedelta | float) -> dt.datetime:
        """Move forward by ``delta`` (seconds or a timedelta); returns the new time."""
        step = delta if isinstance(delta, dt.timedelta) else dt.timedelta(seconds=delta)
        if step < dt.timedelta(0):
            raise ValueError("a clock does not go back; use set() for a new start")
        with self._lock:
            self._move(step)
            return self._now

    def set(self, when: dt.datetime) -> None:
        """Show ``when`` from now on (the monotonic reading moves by the same amount if later)."""
        with self._lock:
            target = _aware(when)
            if target > self._now:
                self._mono += (target - self._now).total_seconds()
            self._now = target

    def sleep(self, seconds: float) -> None:
        """A ``sleep`` that only moves this clock (inject where code would wait)."""
        self.advance(max(0.0, seconds))

    def _move(self, step: dt.timedelta) -> None:
        self._now += step
        self._mono += step.total_seconds()

    def __repr__(self) -> str:
        return f"FixedClock({self._now.isoformat()})"


SYSTEM: Clock = SystemClock()
"""The production clock."""


def local_now(clock: Clock, timezone: str) -> dt.datetime:
    """``clock.now()`` in the practice's time zone, without zone, whole seconds.

    PMS databases store local wall-clock times without a zone; this is the value to write.
    """
    return clock.now().astimezone(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)


def local_today(clock: Clock, timezone: str) -> dt.date:
    """The practice's calendar date now."""
    return clock.now().astimezone(ZoneInfo(timezone)).date()


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


__all__ = ["SYSTEM", "Clock", "FixedClock", "SystemClock", "local_now", "local_today"]
