"""Fixtures for the Stripe source tests: practices, a real SQLite store, the Stripe emulator.

HTTP goes through the real stripe-python client and ``requests``; ``responses`` intercepts it
and hands each request to the shipped :class:`StripeEmulator` (a fake we ship, serving
Stripe-shaped objects; tests assert on the exact requests made). Nothing leaves the process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
import structlog

from connector.clock import FixedClock
from connector.config import PracticeSettings
from connector.jobs import PollContext
from connector.redaction import Redactor
from connector.sources.stripe import StripeSource
from connector.store import SQLiteStore
from tests.sources.stripe.support import API_BASE, NOW
from workshop.sandbox.stripe_data import StripeDataset
from workshop.sandbox.stripe_emulator import StripeEmulator


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A migrated SQLite store in a temporary folder."""
    db = SQLiteStore(tmp_path / "state.db")
    db.migrate()
    yield db
    db.close()


@pytest.fixture
def sleeps() -> list[float]:
    """Records every retry wait instead of sleeping."""
    return []


@pytest.fixture
def make_source(sleeps: list[float]) -> Callable[..., StripeSource]:
    """Build a source that records retry waits and has no client-side rate limit."""

    def build(practice: PracticeSettings) -> StripeSource:
        return StripeSource(practice, sleep=sleeps.append, buckets=[])

    return build


@pytest.fixture
def make_ctx(store: SQLiteStore) -> Callable[..., PollContext]:
    """Build a poll context on the test store with a fixed clock."""

    def build(practice: PracticeSettings, now: dt.datetime = NOW) -> PollContext:
        return PollContext(practice=practice, store=store, redactor=Redactor(),
                           log=structlog.get_logger("test.stripe"),
                           clock=FixedClock(now))  # fmt: skip

    return build


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """``responses`` active for the test; unmatched requests fail with ConnectionError."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def emulate(rsps: responses.RequestsMock) -> Callable[[StripeDataset], StripeEmulator]:
    """Route every request to API_BASE into an emulator serving the given data set."""

    def install(dataset: StripeDataset) -> StripeEmulator:
        emulator = StripeEmulator(dataset)
        for method in (responses.GET, responses.POST):
            rsps.add_callback(method, _any_path(), callback=emulator.responses_callback)
        return emulator

    return install


def _any_path() -> Any:
    import re

    return re.compile(re.escape(API_BASE) + r"/.*")
