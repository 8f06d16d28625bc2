"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from hypothesis import HealthCheck, settings

from connector.store import SQLiteStore

pytest_plugins = ["tests.support.mariadb", "tests.support.opendental", "tests.support.postgres"]

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=150, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A migrated SQLite store in a temporary folder."""
    db = SQLiteStore(tmp_path / "state.db")
    db.migrate()
    yield db
    db.close()


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    """Each test starts with structlog's defaults (no cached loggers, no bound context)."""
    yield
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()
