"""Public sample 835 files, parsed by the real ERA parser and recorded as the ERA source records
them, then posted by the job against a MemoryLedger holding the matching claims."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.memory import MemoryLedger
from connector.domain import ItemKind, ItemStatus
from connector.sources.era.parser import parse_file
from connector.sources.era.source import build_items
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, practice
from tests.posting.runner_support import run
from tests.support.paths import era_samples_dir

D = Decimal
SAMPLES = era_samples_dir()
pytestmark = pytest.mark.skipif(SAMPLES is None, reason="shared/samples/era is not beside the repo")


def record_file(store: SQLiteStore, name: str) -> None:
    assert SAMPLES is not None
    store.record(PRACTICE, "era", build_items(parse_file(SAMPLES / name)))


def test_dental_sample_auto_posts_and_reconciles(store: SQLiteStore, led: MemoryLedger) -> None:
    """badX12's Delta Dental claim (five CDT lines, CO-131) auto-posts; posted = BPR02."""
    lines = [
        ("D0120", "46.00", "25.00"),
        ("D0220", "25.00", "14.00"),
        ("D0230", "22.00", "10.00"),
        ("D0274", "60.00", "34.00"),
        ("D1110", "73.00", "49.00"),
    ]
    led.add_claim(
        "C1",
        patient="1",
        identifier="7722337",
        date="2014-03-24",
        lines=[
            {"proc_ref": f"P{n}", "code": code, "fee": fee, "expected": exp}
            for n, (code, fee, exp) in enumerate(lines)
        ],
    )
    record_file(store, "badX12__X221-era-sample.edi")
    settings = practice(auto_post={"payment_types_by_method": {"CHK": "Insurance Check"}})
    counts = run(store, led, settings=settings)
    assert counts["posted"] == 1 and counts["review"] == 0
    assert led.insurance_paid() == D("132.00")
    assert sum((ln.writeoff for ln in led.claims["C1"].lines), D("0")) == D("94.00")
    [check] = led.checks.values()
    assert (check.number, check.amount, check.payment_type_id) == ("12345", D("132.00"), "81")
    assert led.claims["C1"].received


def test_denied_sample_goes_to_review_in_words(store: SQLiteStore, led: MemoryLedger) -> None:
    """pyx12's denied claim (CO-16, OA-A7, notification-only BPR) posts nothing: one review."""
    record_file(store, "pyx12__835_mult_loops.txt")
    counts = run(store, led)
    assert counts["review"] == 1 and counts["posted"] == 0 and counts["ignored"] == 1
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "denied" and "CO-16" in entry.message and "OA-A7" in entry.message
    assert led.insurance_paid() == D("0.00")


def test_test_file_sample_never_reaches_the_poster(store: SQLiteStore, led: MemoryLedger) -> None:
    """TigerShark's file is a test file (ISA15 = T): recorded ignored, nothing to post."""
    record_file(store, "zentist-TigerShark__5010-835-example-1.txt")
    assert sum(run(store, led).values()) == 0
    kinds = {i.kind for i in store.items_of_kind(PRACTICE, ["era_claim", "era_remittance"])}
    assert kinds == {ItemKind.ERA_CLAIM, ItemKind.ERA_REMITTANCE}
    assert all(
        i.status is ItemStatus.IGNORED
        for i in store.items_of_kind(PRACTICE, ["era_claim", "era_remittance"])
    )
