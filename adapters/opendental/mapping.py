"""Open Dental rows ↔ connector records. Pure functions; no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from adapters.base import (
    ChargeKind,
    ClaimLine,
    ClaimRecord,
    OpenCharge,
    PatientRecord,
    PatientStatus,
    PmsType,
)
from connector.money import ZERO, to_money

# patient.PatStatus (enum PatientStatus): 5 Deceased has no connector equivalent and is treated
# as inactive; 6 Prospective (not yet seen) as a non-patient.
PAT_STATUS = {
    0: PatientStatus.ACTIVE,
    1: PatientStatus.NON_PATIENT,
    2: PatientStatus.INACTIVE,
    3: PatientStatus.ARCHIVED,
    4: PatientStatus.DELETED,
    5: PatientStatus.INACTIVE,
    6: PatientStatus.NON_PATIENT,
}

# claimproc.Status (enum ClaimProcStatus)
CP_NOT_RECEIVED, CP_RECEIVED, CP_PREAUTH, CP_ADJUSTMENT, CP_SUPPLEMENTAL = 0, 1, 2, 3, 4
CP_PAID_STATUSES = frozenset({1, 4, 5, 7})

CLAIM_TYPES = {"P": "primary", "S": "secondary", "PreAuth": "preauth"}

DEF_CATEGORIES = {1: "adjustment", 10: "payment", 27: "note", 32: "insurance_payment"}


def ref(value: Any) -> str | None:
    """An Open Dental key as our text id; 0 (Open Dental's "none") becomes None."""
    number = int(value or 0)
    return str(number) if number else None


BIGINT_MAX = 2**63 - 1
"""Open Dental's keys are BIGINT: a larger number can be no key (and would overflow ODBC)."""


def key(text: str | None) -> int | None:
    """Our text id as an Open Dental key, or None when it is not a positive integer."""
    if text is None:
        return None
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit()):
        return None
    number = int(stripped)
    return number if 0 < number <= BIGINT_MAX else None


def as_date(value: Any) -> dt.date:
    """A DATE column as ``datetime.date`` (ODBC may hand back a datetime)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def patient_record(row: Sequence[Any]) -> PatientRecord:
    """Row of ``queries.PATIENT`` → :class:`PatientRecord`."""
    pat_num, guarantor, status, prov, clinic, plan_count = row
    return PatientRecord(
        patient_id=str(pat_num),
        guarantor_id=str(guarantor or pat_num),
        status=PAT_STATUS.get(int(status), PatientStatus.INACTIVE),
        provider_id=ref(prov),
        clinic_id=ref(clinic),
        insurance_plan_count=int(plan_count),
    )


def charge_due(
    fee: Decimal,
    ins_paid: Decimal,
    ins_est: Decimal,
    adjusted: Decimal,
    paid: Decimal,
    *,
    subtract_estimates: bool,
) -> Decimal:
    """What is left of a charge for the patient, as Open Dental's account computes it.

    fee * units - (insurance paid + write-offs of received claimprocs) - (estimates +
    estimated write-offs of unreceived ones, unless pref BalancesDontSubtractIns) +/- attached
    adjustments - patient paysplits already linked to the charge.
    """
    due = fee - ins_paid + adjusted - paid
    if subtract_estimates:
        due -= ins_est
    return to_money(due)


def open_charges(rows: Iterable[Sequence[Any]]) -> list[OpenCharge]:
    """Rows of ``queries.FAMILY_CHARGES`` → open charges, oldest first, procedures first."""
    charges: list[OpenCharge] = []
    subtract = True
    for row in rows:
        kind, num, pat, prov, clinic, when, code, fee, ins_paid, ins_est, adj, paid, pref = row
        if kind == "procedure":
            subtract = str(pref or "0").strip() not in ("1", "true", "True")
        due = charge_due(
            Decimal(fee), Decimal(ins_paid), Decimal(ins_est), Decimal(adj), Decimal(paid),
            subtract_estimates=subtract if kind == "procedure" else False,
        )  # fmt: skip
        if due <= ZERO:
            continue
        charges.append(
            OpenCharge(
                charge_ref=str(num),
                kind=ChargeKind.PROCEDURE if kind == "procedure" else ChargeKind.ADJUSTMENT,
                patient_id=str(pat),
                provider_id=ref(prov),
                date=as_date(when),
                amount_due=due,
                code=code or None,
                clinic_id=ref(clinic),
            )
        )
    return sort_charges(charges)


def sort_charges(charges: Iterable[OpenCharge]) -> list[OpenCharge]:
    """Open Dental's order: date, then procedures before adjustments, then by key."""
    return sorted(
        charges,
        key=lambda c: (c.date, 0 if c.kind is ChargeKind.PROCEDURE else 1, int(c.charge_ref)),
    )


def pms_types(rows: Iterable[Sequence[Any]], category: int) -> list[PmsType]:
    """Rows of ``queries.DEFINITIONS`` of one definition category → :class:`PmsType`."""
    result = []
    for def_num, cat, name, value, hidden in rows:
        if int(cat) != category:
            continue
        sign = value if category == 1 and value in ("+", "-") else None
        result.append(
            PmsType(
                id=str(def_num),
                name=str(name),
                category=DEF_CATEGORIES[category],
                sign=sign,
                hidden=bool(hidden),
            )
        )
    return result


def claim_record(claim: Sequence[Any], claimprocs: Iterable[Sequence[Any]]) -> ClaimRecord:
    """Rows of ``queries.CLAIM_*`` and ``CLAIMPROCS_OF_CLAIM`` → :class:`ClaimRecord`.

    One line per procedure (ProcNum ≠ 0): the original claimproc gives fee and estimate;
    Received and Supplemental rows add up to ``paid`` / ``writeoff``. "By total" rows
    (ProcNum 0) are not lines.
    """
    (claim_num, pat, identifier, status, service, fee, claim_type, _plan, plan2, _clinic,
     carrier, plan_count) = claim  # fmt: skip
    lines: dict[int, dict[str, Any]] = {}
    for cp_num, proc, cp_status, _cpay, proc_date, code, billed, est, paid, wo, _ded in claimprocs:
        if not proc:
            continue
        status_code = int(cp_status)
        line = lines.get(int(proc))
        if line is None and status_code != CP_SUPPLEMENTAL:
            line = lines[int(proc)] = {
                "cp": cp_num, "code": code, "date": as_date(proc_date), "fee": Decimal(billed),
                "est": Decimal(est), "received": status_code in CP_PAID_STATUSES,
                "paid": ZERO, "writeoff": ZERO,
            }  # fmt: skip
        if line is not None and status_code in CP_PAID_STATUSES:
            line["paid"] += Decimal(paid)
            line["writeoff"] += Decimal(wo)
    return ClaimRecord(
        claim_id=str(claim_num),
        patient_id=str(pat),
        claim_identifier=str(identifier),
        status=str(status),
        received=str(status) == "R",
        date_service=as_date(service),
        total_fee=to_money(Decimal(fee)),
        plan_count=int(plan_count),
        claim_type=CLAIM_TYPES.get(str(claim_type), "other"),
        lines=tuple(
            ClaimLine(
                proc_ref=str(proc),
                code=str(line["code"] or ""),
                date=line["date"],
                fee=to_money(line["fee"]),
                expected_insurance=to_money(line["est"]),
                received=line["received"],
                line_ref=None,  # Open Dental's REF*6R text (x{ProcNum}/…) is parsed upstream
                paid=to_money(line["paid"]),
                writeoff=to_money(line["writeoff"]),
            )
            for proc, line in lines.items()
        ),
        has_secondary_plan=bool(int(plan2 or 0)) or int(plan_count) > 1,
        carrier_name=str(carrier) or None,
    )


ERA_MODES = {1: "review_all", 2: "semi_automatic", 3: "fully_automatic"}
"""Open Dental's ``EraAutomationMode`` values (0, "use global", only on carriers)."""


def era_mode(value: Any) -> str:
    """Our word for an ``EraAutomationMode`` value (unknown values read ``unknown_<n>``)."""
    number = int(value)
    return ERA_MODES.get(number, "use_office" if number == 0 else f"unknown_{number}")
