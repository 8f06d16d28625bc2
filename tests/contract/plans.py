"""Plan builders for the contract suite (a minimal stand-in for the posting engine's rules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from adapters.base import OpenCharge, marker_for
from connector.domain import (
    AllocationMode,
    CheckRecord,
    InsurancePaymentPlan,
    PatientPaymentPlan,
    ProcedurePayment,
    ReversalPlan,
    Split,
)


def oldest_first(charges: Sequence[OpenCharge], amount: Decimal, payer: str) -> tuple[Split, ...]:
    """Pay charges in the given order; the remainder is an unapplied split for the payer."""
    remaining, splits = amount, []
    for charge in charges:
        if remaining <= 0:
            break
        part = min(remaining, charge.amount_due)
        splits.append(
            Split(part, charge.patient_id, charge.provider_id, charge.charge_ref, charge.kind.value)
        )
        remaining -= part
    if remaining > 0:
        splits.append(Split(remaining, payer))
    return tuple(splits)


def payment_plan(
    key: str,
    patient: str,
    amount: Decimal,
    splits: tuple[Split, ...],
    *,
    payment_type: str,
    day: dt.date,
    mode: AllocationMode = AllocationMode.ALLOCATE_OLDEST_FIRST,
) -> PatientPaymentPlan:
    """A patient payment plan keyed by ``key``."""
    return PatientPaymentPlan(
        external_ref=key,
        marker=marker_for(key),
        patient_id=patient,
        amount=amount,
        date=day,
        payment_type_id=payment_type,
        mode=mode,
        splits=splits,
        note="Online card payment ch_test",
        source_ref="ch_test",
    )


def reversal_plan(
    key: str, original: str, pms_ids: dict[str, object], patient: str, amount: Decimal,
    *, day: dt.date, adjustment_type: str | None = None,
) -> ReversalPlan:  # fmt: skip
    """A refund of (part of) an earlier posting."""
    return ReversalPlan(
        external_ref=key,
        marker=marker_for(key),
        original_external_ref=original,
        original_pms_ids=dict(pms_ids),
        patient_id=patient,
        amount=amount,
        date=day,
        reason="refund",
        adjustment_type_id=adjustment_type,
    )


def insurance_plan(
    key: str,
    claim_id: str,
    patient: str,
    lines: tuple[ProcedurePayment, ...],
    *,
    day: dt.date,
    payment_type: str | None,
    supplemental: bool = False,
    remittance: tuple[str, Decimal] | None = None,
    check_number: str = "EFT20260105",
    check_amount: Decimal | None = None,
) -> InsurancePaymentPlan:
    """An ERA claim payment plan with its check (TRN02 = EFT number). The check's amount is the
    plan's paid total unless given: ``remittance`` = (key, total) of a remittance paying several
    claims with this one check, or ``check_amount``."""
    paid = sum((line.paid for line in lines), Decimal("0.00"))
    return InsurancePaymentPlan(
        external_ref=key,
        marker=marker_for(key, auto=True),
        claim_id=claim_id,
        patient_id=patient,
        lines=lines,
        date_received=day,
        check=CheckRecord(
            number=check_number,
            amount=remittance[1] if remittance else paid if check_amount is None else check_amount,
            date=day,
            payer_name="Delta Dental of Example",
            payment_type_id=payment_type,
            method="ACH",
            remittance_key=remittance[0] if remittance else None,
        ),
        supplemental=supplemental,
    )
