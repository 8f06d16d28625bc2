"""The parsed 835 (:mod:`.model`) as the item records of :mod:`connector.records`.

The one place the parser's model becomes what is stored: the ERA source and ``era inspect
--json`` both write ``record.to_json()``, the form docs/payloads.md describes.
"""

from __future__ import annotations

from decimal import Decimal

from connector.records.era import EraClaim, EraLine
from connector.records.era_parts import Adjustment, BalanceProblem
from connector.records.era_remittance import EraRemittance, ProviderAdjustment
from connector.sources.era import model

_ONE_UNIT = Decimal("1")  # SVC05 left out: the TR3 default


def claim_record(
    claim: model.ClaimPayment,
    remittance: model.Remittance,
    *,
    remittance_key: str | None = None,
    remittance_balanced: bool | None = None,
) -> EraClaim:
    """The record of one claim of ``remittance`` (whose header is enough).

    ``remittance_key`` defaults to the remittance's own key, ``remittance_balanced`` to its
    verdict so far (a streamed remittance's verdict comes at its end).
    """
    return EraClaim(
        remittance_key=remittance.item_key if remittance_key is None else remittance_key,
        test=remittance.test,
        remittance_balanced=(
            remittance.balanced if remittance_balanced is None else remittance_balanced
        ),
        trace=remittance.trace,
        payer_id=remittance.payer_id,
        payer_name=remittance.payer.name,
        method=remittance.method,
        payment_date=remittance.payment_date,
        patient_control=claim.patient_control,
        status=claim.status,
        charge=claim.charge,
        paid=claim.paid,
        patient_responsibility=claim.patient_responsibility,
        filing_indicator=claim.filing_indicator,
        payer_claim_control=claim.payer_claim_control,
        frequency=claim.frequency,
        service_from=claim.service_from,
        service_to=claim.service_to,
        adjustments=_adjustments(claim.adjustments),
        remarks=claim.remarks,
        balanced=claim.balanced,
        balance_errors=_problems(claim.balance_errors),
        warnings=claim.warnings,
        lines=tuple(_line(n, line) for n, line in enumerate(claim.lines, 1)),
    )


def remittance_record(
    remittance: model.Remittance, *, claim_keys: tuple[str, ...] | None = None
) -> EraRemittance:
    """The record of one remittance; ``claim_keys`` default to its claims' own keys."""
    if claim_keys is None:
        claim_keys = tuple(claim.item_key(remittance) for claim in remittance.claims)
    return EraRemittance(
        file=remittance.file,
        file_sha256=remittance.file_sha256,
        interchange_control=remittance.envelope.interchange_control,
        test=remittance.test,
        trace=remittance.trace,
        payer_id=remittance.payer_id,
        payer_name=remittance.payer.name,
        payee_npi=remittance.payee_npi,
        payee_tin=remittance.payee_tin,
        amount=remittance.amount,
        credit_debit=remittance.credit_debit,
        method=remittance.method,
        payment_date=remittance.payment_date,
        plb=tuple(
            ProviderAdjustment(
                provider=adj.provider,
                period_end=adj.period_end,
                reason=adj.reason,
                reference=adj.reference or None,
                amount=adj.amount,
            )
            for adj in remittance.plb
        ),
        balanced=remittance.balanced,
        balance_errors=_problems(remittance.balance_errors),
        warnings=remittance.warnings,
        claim_keys=claim_keys,
    )


def problem_record(error: model.BalanceError) -> BalanceProblem:
    """One failed balancing rule as stored (with its message in plain words)."""
    return BalanceProblem(
        level=error.level,
        rule=error.rule,
        segment=error.segment_no,
        segment_id=error.segment_id,
        element=error.element,
        expected=error.expected,
        found=error.found,
        patient_control=error.patient_control,
        message=error.message,
    )


def _problems(errors: tuple[model.BalanceError, ...]) -> tuple[BalanceProblem, ...]:
    return tuple(problem_record(error) for error in errors)


def _adjustments(adjustments: tuple[model.Adjustment, ...]) -> tuple[Adjustment, ...]:
    return tuple(Adjustment(a.group, a.reason, a.amount, a.quantity) for a in adjustments)


def _line(index: int, line: model.ServiceLine) -> EraLine:
    return EraLine(
        index=index,
        qualifier=line.qualifier,
        code=line.code,
        modifiers=line.modifiers,
        charge=line.charge,
        paid=line.paid,
        units=_ONE_UNIT if line.units is None else line.units,
        original_code=line.original_code,
        date=line.date or line.date_from,
        line_ref=line.line_ref,
        adjustments=_adjustments(line.adjustments),
        remarks=line.remarks,
        allowed=line.allowed,
    )
