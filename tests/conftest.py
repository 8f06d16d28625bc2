"""Fixtures shared by every test package."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from hypothesis import HealthCheck, settings

from connector.clock import FixedClock
from connector.store import SQLiteStore

pytest_plugins = [
    "tests.support.mariadb",
    "tests.support.opendental",
    "tests.support.postgres",
    "tests.support.shifted_clock",
]

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=150, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


TEST_NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
"""The day the shared fixtures live on (never the calendar date)."""


@pytest.fixture
def clock() -> FixedClock:
    """The test's clock: fixed at :data:`TEST_NOW`, a millisecond later at each read."""
    return FixedClock(TEST_NOW, tick=dt.timedelta(milliseconds=1))


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> Iterator[SQLiteStore]:
    """A migrated SQLite store in a temporary folder, stamping times from ``clock``."""
    db = SQLiteStore(tmp_path / "state.db", clock=clock)
    db.migrate()
    yield db
    db.close()


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    """Each test starts with structlog's defaults (no cached loggers, no bound context)."""
    yield
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()
