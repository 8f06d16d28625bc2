"""The PMS already posted the ERA itself (Open Dental's ERA automation, or staff by hand):
exactly the same → recorded as posted by the PMS, nothing written, no review; any difference
→ ``claim_already_received`` listing it.

The posting job on a real SQLite store with the memory ledger (claims as the contract suite
checks them on every vendor)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from adapters.memory import MemoryLedger
from connector.domain import ItemStatus
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, claim_payload, line, new_claim, record
from tests.posting.runner_support import run


@pytest.fixture
def received(led: MemoryLedger) -> MemoryLedger:
    """Claim CLM1 (two procedures) that the PMS has received as the ERA below pays it."""
    led.add_claim("C1", patient="1", identifier="CLM1", date="2026-10-01", lines=[
        {"proc_ref": "P1", "code": "D1110", "fee": "120.00", "expected": "90.00"},
        {"proc_ref": "P2", "code": "D0120", "fee": "60.00", "expected": "45.00"}])  # fmt: skip
    claim = led.claims["C1"]
    claim.received = True
    for each, paid, writeoff in zip(claim.lines, ("90.00", "45.00"), ("30.00", "15.00"),
                                    strict=True):  # fmt: skip
        each.received, each.paid, each.writeoff = True, D(paid), D(writeoff)
    return led


def era() -> dict[str, object]:
    return claim_payload("CLM1", "1", "180.00", "135.00", [
        line("D1110", "120.00", "90.00", ("CO", "45", "30.00")),
        line("D0120", "60.00", "45.00", ("CO", "45", "15.00"))])  # fmt: skip


def test_exactly_what_the_era_pays_is_recorded_as_posted_by_the_pms(
    store: SQLiteStore, received: MemoryLedger
) -> None:
    """No review, nothing written, and the history says the PMS posted it."""
    [item] = record(store, new_claim(era()), source="era")
    written = list(received.payments)
    counts = run(store, received)
    assert counts["already_posted"] == 1 and counts["review"] == 0
    assert received.payments == written  # no check, no procedure payment written
    done = store.get_item(item.id)
    assert done is not None and done.status is ItemStatus.POSTED
    assert done.pms_ids == {"claim_id": "C1", "posted_by_pms": True}
    posted = [h for h in store.history(item.id) if h.event == "item.posted"]
    assert posted and posted[-1].detail["posted_by"] == "pms"
    assert store.list_reviews(PRACTICE) == []


def test_a_difference_goes_to_review_with_the_difference_shown(
    store: SQLiteStore, received: MemoryLedger
) -> None:
    """The PMS shows 40.00 on the exam where the ERA pays 45.00: a person posts the 5.00."""
    received.claims["C1"].lines[1].paid = D("40.00")
    record(store, new_claim(era()), source="era")
    assert run(store, received)["review"] == 1
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "claim_already_received"
    assert "D0120 on 2026-10-01: paid 40.00 in the PMS, 45.00 in the ERA" in entry.message
    assert "D1110" not in entry.details["differences"]
