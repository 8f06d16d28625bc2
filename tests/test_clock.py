"""The injected clock: fixed time moves only when told to, local dates follow the practice."""

from __future__ import annotations

import datetime as dt

import pytest

from connector.clock import SYSTEM, FixedClock, local_now, local_today

START = dt.datetime(2026, 11, 22, 3, 30, tzinfo=dt.UTC)


def test_fixed_clock_stands_still_until_advanced() -> None:
    clock = FixedClock(START)
    assert clock.now() == clock.now() == START
    before = clock.monotonic()
    assert clock.advance(dt.timedelta(minutes=5)) == START + dt.timedelta(minutes=5)
    assert clock.monotonic() - before == 300
    clock.sleep(2.5)
    assert clock.now() == START + dt.timedelta(minutes=5, seconds=2.5)


def test_fixed_clock_tick_moves_between_reads() -> None:
    clock = FixedClock(START, tick=dt.timedelta(seconds=1))
    assert clock.now() == START
    assert clock.now() == START + dt.timedelta(seconds=1)


def test_fixed_clock_refuses_to_go_back_and_takes_naive_as_utc() -> None:
    clock = FixedClock(START.replace(tzinfo=None))
    assert clock.now() == START
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance(-1)
    clock.set(START + dt.timedelta(days=1))
    assert clock.now().date() == dt.date(2026, 11, 23)


def test_local_time_crosses_the_date_boundary() -> None:
    clock = FixedClock(START)  # 03:30 UTC on 11-22 is 21:30 on 11-21 in Chicago
    assert local_now(clock, "America/Chicago") == dt.datetime(2026, 11, 21, 21, 30)
    assert local_today(clock, "America/Chicago") == dt.date(2026, 11, 21)
    assert local_today(clock, "UTC") == dt.date(2026, 11, 22)


def test_system_clock_is_aware_utc() -> None:
    assert SYSTEM.now().tzinfo is dt.UTC
