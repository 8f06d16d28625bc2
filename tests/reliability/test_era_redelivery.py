"""A remittance re-delivered with a changed or missing payment date (issue #14, item 3): the
reversal in it is never posted a second time, and a file without a valid BPR16 is quarantined
(docs/reliability.md)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.eras import _pr
from tests.reliability.world import OD, World
from workshop.emulated.opendental.seed import Ids
from workshop.sandbox.era_builder import Claim, Line, Remittance, render

pytestmark = [pytest.mark.slow, pytest.mark.external_service]

D = Decimal
PAYEE = ("RIVERSIDE FAMILY DENTAL", "1234567893")


def _reversal_file(world: World, paid_on: dt.date, interchange: int) -> bytes:
    """MetLife takes Dan's 88.00 back (CLP02 22) and pays the corrected claim 98.00."""
    # (the patient's share, not a write-off: a write-off reversal is entered by hand)
    reversal = Claim(f"{Ids.DAN}/{Ids.CLAIM_DAN_SENT}", "22", "ML2611000401", "JONES", "DAN",
                     "ML22", (Line("D0330", D("-110.00"), D("-88.00"), dt.date(2025, 2, 1),
                                   (_pr("-22.00"),)),))  # fmt: skip
    corrected = Claim(f"{Ids.DAN}/{Ids.CLAIM_DAN_SENT}", "1", "ML2611000402", "JONES", "DAN",
                      "ML22", (Line("D0330", D("110.00"), D("98.00"), dt.date(2025, 2, 1),
                                    (_pr("12.00"),)),))  # fmt: skip
    remittance = Remittance("MLEFT7009", "65978", "METLIFE EXAMPLE", *PAYEE, paid_on,
                            (reversal, corrected), method="ACH")  # fmt: skip
    return render(remittance, interchange=interchange)


def _drop(world: World, name: str, data: bytes) -> None:
    target = world.remote if world.remote is not None else world.env.era_inbox(OD)
    (Path(target) / name).write_bytes(data)


def _dan(world: World) -> list[tuple[int, Decimal]]:
    rows = world.od_rows(
        "SELECT Status, InsPayAmt FROM claimproc WHERE ClaimNum = ? ORDER BY ClaimProcNum",
        Ids.CLAIM_DAN_SENT,
    )
    return [(int(s), D(str(a))) for s, a in rows]


def test_a_redelivered_reversal_is_never_posted_twice(
    world: World, reference: dict[str, Any]
) -> None:
    """The reversal and correction post once; the same remittance sent again with another
    BPR16 date records nothing new and writes nothing; sent with BPR16 empty it is quarantined.
    """
    world.settle()
    today = world.env.today
    yesterday = today - dt.timedelta(days=1)
    _drop(world, "09-metlife-reversal.835", _reversal_file(world, yesterday, 709))
    world.settle()
    once = [(1, D("88.00")), (4, D("-88.00")), (4, D("98.00"))]
    assert _dan(world) == once
    items_before = world.items()

    _drop(world, "10-metlife-reversal-again.835", _reversal_file(world, today, 710))
    world.settle()
    assert _dan(world) == once, "the re-delivered reversal was posted again"
    assert world.items() == items_before
    assert world.duplicates() == [] and world.half_written() == []

    undated = re.sub(rb"(BPR\*[^~]*)\*\d{8}~", rb"\1*~", _reversal_file(world, today, 711))
    assert undated != _reversal_file(world, today, 711)
    _drop(world, "11-metlife-reversal-undated.835", undated)
    world.settle()
    assert _dan(world) == once and world.items() == items_before
    quarantined = [p.name for p in Path(world.env.work_dir).rglob("*undated*")
                   if "quarantine" in p.parts]  # fmt: skip
    assert "11-metlife-reversal-undated.835" in quarantined, quarantined
    events = [e for e in world.log_events() if e["event"] == "era.file.quarantined"]
    assert any(e.get("element") == "BPR16" for e in events), events
