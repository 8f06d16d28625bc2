"""The posting job builds the practice's ledger with the run's clock and the practice's zone."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.memory import MemoryLedger
from connector.clock import FixedClock
from connector.domain import ItemKind
from connector.jobs import PollContext
from connector.logging import get_logger
from connector.posting import runner
from connector.posting.runner import PostingJob
from connector.redaction import Redactor
from connector.store import SQLiteStore
from tests.posting.helpers import ledger, new_stripe, practice, record
from tests.posting.runner_support import NOW


def test_the_registry_ledger_gets_the_runs_clock_and_the_practice_zone(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an injected factory the job asks the registry for the ledger, passing the
    PollContext's clock and the practice's ``timezone:`` (what PMS rows are stamped with)."""
    built: list[dict[str, Any]] = []
    led = ledger()

    def create_ledger(settings: Any, **kw: Any) -> MemoryLedger:
        built.append(kw)
        return led

    monkeypatch.setattr(runner, "create_ledger", create_ledger)
    settings = practice(timezone="Pacific/Honolulu")
    record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_zone", "10.00", patient_ref="1"))
    clock = FixedClock(NOW)
    ctx = PollContext(
        practice=settings, store=store, redactor=Redactor(), log=get_logger(), clock=clock
    )
    PostingJob.for_practice(settings, redactor=Redactor()).poll(ctx)
    assert len(built) == 1
    assert built[0]["clock"] is clock and built[0]["timezone"] == "Pacific/Honolulu"
