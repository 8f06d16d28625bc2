"""The contract suite's ``adapter`` fixture: one harness per adapter.

To add an adapter, write a harness (see ``harness.py``) and add one factory to ``FACTORIES``;
the factory receives pytest's ``request`` so it can pull the fixtures it needs (servers).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.contract.harness import Harness, HarnessFactory


def _opendental(request: Any) -> Harness:
    from tests.contract.opendental_harness import OpenDentalHarness

    return OpenDentalHarness(request.getfixturevalue("od"))


def _dentrix(request: Any) -> Harness:
    from tests.contract.dentrix_harness import DentrixHarness
    from tests.support.emulated import fresh_database

    return DentrixHarness(fresh_database("dentrix", request))


def _eaglesoft(request: Any) -> Harness:
    from tests.contract.eaglesoft_harness import EaglesoftHarness
    from tests.support.emulated import fresh_database

    return EaglesoftHarness(fresh_database("eaglesoft", request))


def _memory(request: Any) -> Harness:
    from tests.contract.memory_harness import MemoryHarness

    return MemoryHarness()


FACTORIES: dict[str, HarnessFactory] = {
    "memory": _memory,
    "opendental": _opendental,
    "dentrix": _dentrix,
    "eaglesoft": _eaglesoft,
}


@pytest.fixture(params=sorted(FACTORIES))
def harness(request: Any) -> Harness:
    """The harness of one adapter (the suite runs once per registered adapter)."""
    return FACTORIES[request.param](request)


@pytest.fixture
def ledger(harness: Harness) -> Iterator[Any]:
    """A ledger of the adapter under test; closed afterwards."""
    instance = harness.ledger()
    yield instance
    instance.close()
