"""The remittances the reliability tests drop: every claim matches a claim the PMS seed sent.

Open Dental (``riverside``): MetLife pays Dan's claim in full; Delta pays Ana's crown claim as
estimated (both auto-posted: three steps each) and Ben's claim (two plans → review). Eaglesoft
(``hilltop``): Delta pays Mary's claim (auto-posted: two steps) and Tim's (two plans → review).
Names are the seeds' invented ones; the member ids are invented here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from workshop.emulated.eaglesoft import seed as es_seed
from workshop.emulated.opendental.seed import Ids
from workshop.sandbox.era_builder import Adj, Claim, Line, Remittance, render

D = Decimal
MEMBER_IDS = ("ML22", "DX111", "MBRES102", "MBRES103")


def _co(amount: str) -> Adj:
    return Adj("CO", "45", D(amount))


def _pr(amount: str) -> Adj:
    return Adj("PR", "2", D(amount))


def opendental_files(today: dt.date) -> list[tuple[str, bytes]]:
    """Two files: Dan's claim (MetLife EFT), Ana's and Ben's claims (Delta check)."""
    payee = ("RIVERSIDE FAMILY DENTAL", "1234567893")
    dan = Claim(
        f"{Ids.DAN}/{Ids.CLAIM_DAN_SENT}",
        "1",
        "ML2611000401",
        "JONES",
        "DAN",
        "ML22",
        (Line("D0330", D("110.00"), D("88.00"), dt.date(2025, 2, 1), (_co("22.00"),)),),
    )
    ana = Claim(
        f"{Ids.ANA}/{Ids.CLAIM_ANA_CROWN}",
        "1",
        "DD2611000777",
        "SMITH",
        "ANA",
        "DX111",
        (
            Line(
                "D2740",
                D("1200.00"),
                D("600.00"),
                dt.date(2025, 4, 20),
                (_co("150.00"), _pr("450.00")),
            ),
        ),
    )
    ben = Claim(
        f"{Ids.BEN}/{Ids.CLAIM_BEN_SENT}",
        "1",
        "DD2611000778",
        "SMITH",
        "BEN",
        "DX111",
        (
            Line(
                "D2391",
                D("180.00"),
                D("120.00"),
                dt.date(2025, 2, 14),
                (_co("20.00"), _pr("40.00")),
            ),
            Line(
                "D0274", D("70.00"), D("50.00"), dt.date(2025, 2, 14), (_co("5.00"), _pr("15.00"))
            ),
        ),
    )
    metlife = Remittance(
        "MLEFT7001",
        "65978",
        "METLIFE EXAMPLE",
        *payee,
        today - dt.timedelta(days=3),
        (dan,),
        method="ACH",
    )
    delta = Remittance(
        "DDCHK7002",
        "94276",
        "DELTA DENTAL OF EXAMPLE",
        *payee,
        today - dt.timedelta(days=2),
        (ana, ben),
        method="CHK",
    )
    return [
        ("01-metlife-MLEFT7001.835", render(metlife, interchange=701)),
        ("02-delta-DDCHK7002.835", render(delta, interchange=702)),
    ]


def eaglesoft_files(today: dt.date) -> list[tuple[str, bytes]]:
    """One file: Mary's claim 501 and Tim's claim 502."""
    rows = {r[0]: r for r in es_seed.SERVICE_ROWS}

    def day(tran: int) -> dt.date:
        return today - dt.timedelta(days=rows[tran][2])

    mary = Claim(
        "501",
        "1",
        "DD2611000901",
        "SMITH",
        "MARY",
        "MBRES102",
        (
            Line("D1110", D("120.00"), D("96.00"), day(1002), (_co("24.00"),)),
            Line("D0274", D("70.00"), D("56.00"), day(1003), (_co("14.00"),)),
        ),
    )
    tim = Claim(
        "502",
        "1",
        "DD2611000902",
        "SMITH",
        "TIM",
        "MBRES103",
        (
            Line("D1120", D("85.00"), D("68.00"), day(1004), (_co("17.00"),)),
            Line("D0274", D("70.00"), D("56.00"), day(1005), (_co("14.00"),)),
        ),
    )
    remit = Remittance(
        "ESEFT9001",
        "94276",
        "DELTA DENTAL OF SOMEWHERE",
        "HILLTOP SMILES",
        "1245319599",
        today - dt.timedelta(days=1),
        (mary, tim),
    )
    return [("01-delta-ESEFT9001.835", render(remit, interchange=901))]


BULK_NAMES = ("QUILLFEATHER", "ZEBEDIAH")


def bulk_test_file(today: dt.date, claims: int = 1000) -> tuple[str, bytes]:
    """A large test file (ISA15 = T, about 150 KB): recorded as ignored, never posted; big
    enough for a transfer to be cut in the middle of it."""
    items = tuple(
        Claim(f"T{n:05d}", "1", f"TST{n:07d}", *BULK_NAMES, f"QF{n:06d}",
              (Line("D1110", D("100.00"), D("80.00"), today - dt.timedelta(days=9),
                    (_co("20.00"),)),))
        for n in range(claims)
    )  # fmt: skip
    remit = Remittance("TSTBULK01", "94276", "DELTA DENTAL OF EXAMPLE", "RIVERSIDE FAMILY DENTAL",
                       "1234567893", today - dt.timedelta(days=4), items)  # fmt: skip
    return "00-bulk-test-TSTBULK01.835", render(remit, interchange=700, usage="T")
