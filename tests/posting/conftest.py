"""Fixtures for posting tests."""

from __future__ import annotations

import pytest

from adapters.memory import MemoryLedger
from tests.posting.helpers import ledger


@pytest.fixture
def led() -> MemoryLedger:
    """A memory ledger with a family, a single patient, an inactive one and the usual types."""
    return ledger()
