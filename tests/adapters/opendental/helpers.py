"""Small helpers shared by the Open Dental adapter tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from adapters.base import marker_for
from connector.domain import (
    AllocationMode,
    CheckRecord,
    InsurancePaymentPlan,
    PatientPaymentPlan,
    ProcedurePayment,
    Split,
)
from tests.support.opendental import OdContext
from workshop.emulated.opendental.seed import Ids

D = Decimal
DAY = dt.date(2026, 1, 5)


def proc_split(amount: str, proc: int, patient: int, prov: int) -> Split:
    """A split onto a procedure."""
    return Split(D(amount), str(patient), str(prov), str(proc), "procedure")


def plan(
    key: str,
    amount: str,
    *splits: Split,
    patient: int = Ids.ANA,
    mode: AllocationMode = AllocationMode.ALLOCATE_OLDEST_FIRST,
) -> PatientPaymentPlan:
    """A patient payment plan."""
    return PatientPaymentPlan(key, marker_for(key), str(patient), D(amount), DAY,
                              str(Ids.PAY_ONLINE), mode, tuple(splits))  # fmt: skip


def ben_claim_plan(key: str = "era:EFT9:160.00:2/2") -> InsurancePaymentPlan:
    """Ben's sent claim paid in full as the contract suite does it."""
    return InsurancePaymentPlan(
        external_ref=key, marker=marker_for(key, auto=True), claim_id=str(Ids.CLAIM_BEN_SENT),
        patient_id=str(Ids.BEN),
        lines=(ProcedurePayment(str(Ids.P_BEN_FILLING), D("110.00"), D("25.00"), D("15.00")),
               ProcedurePayment(str(Ids.P_BEN_BITEWINGS), D("50.00"), D("5.00"))),
        date_received=DAY,
        check=CheckRecord("EFT9", D("160.00"), DAY, "Delta Dental of Example",
                          str(Ids.INSPAY_EFT), "ACH"),
    )  # fmt: skip


def writes(od: OdContext) -> list[tuple[str, str, int | None]]:
    """(method, path, status) of every request the double received."""
    return [(r.method, r.path, r.status) for r in od.api.requests]


def count(od: OdContext, sql: str, *params: object) -> int:
    """A COUNT(*) query as root."""
    return int(od.db.rows(sql, *params)[0][0])
