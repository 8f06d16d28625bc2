"""The expiry guard: run the suite with the whole process's clock moved ahead.

Set ``CONNECTOR_TEST_CLOCK_SHIFT_DAYS`` (``make test`` runs the suite a second time with 400):
every wall-clock read in this process — ``datetime.now()``, ``date.today()``, ``time.time()``,
and so the connector's ``SYSTEM`` clock — then answers a date that far ahead, still ticking.
A test that passes only near the day it was written (data built at a fixed date while the code
reads the real clock, a look-back window that happens to contain it, a "today" default) fails
here the day it is written, not a month later.

The kept library ``time-machine`` does the moving (it patches the C-level clock functions, so
threads and libraries see it too). Monotonic clocks and other processes are not moved; tests
that need another process or server are left to the normal run (see the Makefile).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest

SHIFT_ENV = "CONNECTOR_TEST_CLOCK_SHIFT_DAYS"


def shift() -> dt.timedelta | None:
    """The configured shift, or None when the guard is off."""
    raw = os.environ.get(SHIFT_ENV, "").strip()
    if not raw:
        return None
    days = int(raw)
    if days < 1:
        raise pytest.UsageError(f"{SHIFT_ENV} must be a positive number of days, not {raw!r}")
    return dt.timedelta(days=days)


@pytest.fixture(scope="session", autouse=True)
def _shifted_clock() -> Iterator[None]:
    """Move the process's wall clock ahead for the whole session when the guard is on."""
    ahead = shift()
    if ahead is None:
        yield
        return
    import time_machine

    with time_machine.travel(dt.datetime.now(dt.UTC) + ahead, tick=True):
        yield


def pytest_report_header() -> str | None:
    """Say in the run's header that the clock is moved, and by how much."""
    ahead = shift()
    return None if ahead is None else f"clock moved {ahead.days} days ahead ({SHIFT_ENV})"
