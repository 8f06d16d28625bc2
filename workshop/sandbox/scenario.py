"""The sandbox's story: which seeded patients pay through Stripe, and which ERAs arrive.

Every id here comes from the PMS seeds (:mod:`workshop.emulated.opendental.seed`,
:mod:`workshop.emulated.dentrix.seed`, :mod:`workshop.emulated.eaglesoft.seed`), so Stripe
payments land on real
patients and each ERA claim matches a claim the PMS submitted (CLP01 = its claim identifier,
SVC = its procedures' codes, fees and dates).

Open Dental remittances (payer ids are the seed carriers' electronic ids):

1. MetLife pays Dan's claim ``4/4`` in full → **auto-posted**;
2. MetLife takes that payment back (CLP02 = 22) and pays it again corrected, and recovers an
   old overpayment on that claim while adding prompt-pay interest (PLB WO + L6) → **reversal +
   correction posted, both PLBs posted by rule**: the remittance closes to the cent;
3. Delta pays Ana's crown claim ``1/3`` at 70 % of the estimate → **review
   (paid_below_threshold)**, and denies Ben's claim ``2/2`` (CO-27, N30) → **review (denied)**;
4. a truncated file → **quarantined**.

Dentrix receives one remittance: Mary's claim 5001 paid → auto-posted; Tim's claim 5002 (two
plans, processed as primary, 17.00 coinsurance left) → auto-posted as the primary payment, and
the secondary claim to send → review (secondary_claim_ready). Eaglesoft has no ERA inbox in
the demo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from workshop.emulated.dentrix import seed as dentrix_seed
from workshop.emulated.opendental.seed import Ids
from workshop.sandbox.era_builder import Adj, Claim, Line, Plb, Remittance, render

D = Decimal

# Stripe metadata patient ids per vendor, in the order demo_dataset uses them:
# 0 card payment + a payment refunded later, 1 bank debit + a bounced one + a small payment,
# 2 a payment found through the customer + one still in transit (+ a Connect charge),
# 3 a payment disputed and lost + a large bank debit, 4 a payment disputed and won.
STRIPE_PATIENTS = {
    "opendental": (str(Ids.BEN), str(Ids.DAN), str(Ids.CLEO), str(Ids.ANA), str(Ids.GIA)),
    "dentrix": ("1002", "1011", "1003", "1001", "1031"),
    "eaglesoft": ("102", "111", "103", "101", "131"),
}

MALFORMED_835 = b"ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*SANDBOX~GS*HP*CUT OFF~"
"""A file cut off after its second segment (a transfer that stopped halfway)."""


@dataclass(frozen=True)
class EraFile:
    """One file to drop in a practice's ERA inbox."""

    name: str
    content: bytes
    remittance: Remittance | None  # None for a malformed file


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def opendental_eras(today: dt.date) -> list[EraFile]:
    """The Open Dental practice's remittances (see the module docstring), oldest first."""
    payee = ("RIVERSIDE FAMILY DENTAL", "1234567893")
    dan_original = Claim(
        f"{Ids.DAN}/{Ids.CLAIM_DAN_SENT}", "1", "ML2611000401", "JONES", "DAN", "ML22",
        (Line("D0330", D("110.00"), D("88.00"), _date("2025-02-01"),
              (Adj("PR", "2", D("22.00")),)),),
    )  # fmt: skip
    dan_corrected = Claim(
        dan_original.control, "1", "ML2611000402", "JONES", "DAN", "ML22",
        (Line("D0330", D("110.00"), D("98.00"), _date("2025-02-01"),
              (Adj("PR", "2", D("12.00")),)),),
    )  # fmt: skip
    ana_crown = Claim(
        f"{Ids.ANA}/{Ids.CLAIM_ANA_CROWN}", "1", "DD2611000777", "SMITH", "ANA", "DX111",
        (Line("D2740", D("1200.00"), D("420.00"), _date("2025-04-20"),
              (Adj("CO", "45", D("150.00")), Adj("PR", "2", D("630.00")))),),
    )  # fmt: skip
    ben_denied = Claim(
        f"{Ids.BEN}/{Ids.CLAIM_BEN_SENT}", "4", "DD2611000778", "SMITH", "BEN", "DX111",
        (Line("D2391", D("180.00"), D("0.00"), _date("2025-02-14"),
              (Adj("CO", "27", D("180.00")),), ("N30",)),
         Line("D0274", D("70.00"), D("0.00"), _date("2025-02-14"),
              (Adj("CO", "27", D("70.00")),), ("N30",))),
    )  # fmt: skip
    metlife = ("65978", "METLIFE EXAMPLE")
    delta = ("94276", "DELTA DENTAL OF EXAMPLE")
    first = Remittance("MLEFT0001", *metlife, *payee, today - dt.timedelta(days=6),
                       (dan_original,), method="ACH")  # fmt: skip
    second = Remittance(
        "MLEFT0002", *metlife, *payee, today - dt.timedelta(days=2),
        (dan_original.reversal(), dan_corrected), method="ACH",
        plb=(Plb("WO", D("5.00"), dan_original.control), Plb("L6", D("-1.35"))),
    )  # fmt: skip
    third = Remittance("DDCHK7001", *delta, *payee, today - dt.timedelta(days=1),
                       (ana_crown, ben_denied), method="CHK")  # fmt: skip
    files = [
        EraFile("01-metlife-MLEFT0001.835", render(first, interchange=101), first),
        EraFile("02-metlife-MLEFT0002.835", render(second, interchange=102), second),
        EraFile("03-delta-DDCHK7001.835", render(third, interchange=103), third),
        EraFile("04-broken-transfer.835", MALFORMED_835, None),
    ]
    return files


def dentrix_eras(today: dt.date) -> list[EraFile]:
    """The Dentrix practice's remittance: one claim auto-posted, one primary claim of a patient
    with two plans (posted, the secondary claim listed)."""
    procs = {p[0]: p for p in dentrix_seed.PROCEDURES}

    def day(procid: int) -> dt.date:
        return today - dt.timedelta(days=procs[procid][2])

    mary = Claim(
        "5001", "1", "DD2611000901", "SMITH", "MARY", "MBR1001A",
        (Line("D1110", D("120.00"), D("96.00"), day(2002), (Adj("CO", "45", D("24.00")),)),
         Line("D0274", D("70.00"), D("56.00"), day(2003), (Adj("CO", "45", D("14.00")),))),
    )  # fmt: skip
    tim = Claim(
        "5002", "1", "DD2611000902", "SMITH", "TIM", "MBR1001B",
        (Line("D1120", D("85.00"), D("68.00"), day(2004), (Adj("PR", "2", D("17.00")),)),
         Line("D2391", D("180.00"), D("144.00"), day(2005), (Adj("CO", "45", D("36.00")),))),
    )  # fmt: skip
    remit = Remittance("DDEFT5501", "94276", "DELTA DENTAL OF SOMEWHERE", "LAKESIDE DENTAL",
                       "1245319599", today - dt.timedelta(days=1), (mary, tim))  # fmt: skip
    return [EraFile("01-delta-DDEFT5501.835", render(remit, interchange=201), remit)]


ERA_FILES = {"opendental": opendental_eras, "dentrix": dentrix_eras}


EXPECTED_REVIEWS = {
    "opendental": {"patient_not_found", "manual_payout_account", "paid_below_threshold",
                   "denied"},
    "dentrix": {"patient_not_found", "manual_payout_account", "secondary_claim_ready"},
    "eaglesoft": {"patient_not_found", "manual_payout_account"},
}  # fmt: skip
"""Review reasons each practice's queue holds after the demo (what the scenario leads to)."""
