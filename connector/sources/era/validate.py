"""835 balancing rules and control-number checks.

Balancing (verdicts, never exceptions — an unbalanced remittance is recorded and reviewed):

* line: ``SVC02 - Σ line CAS = SVC03``
* claim: ``CLP03 - Σ (claim CAS + line CAS) = CLP04``
* claim vs lines (when lines exist): ``Σ SVC03 - Σ claim CAS = CLP04`` (the lines' payments
  account for the claim payment; with the two rules above this also means ``Σ SVC02 = CLP03``)
* transaction: ``BPR02 (negative when BPR03 = D) = Σ CLP04 - Σ PLB``

Envelope and count checks raise :class:`ParseError`: a file whose control numbers or segment
counts disagree was cut off or corrupted and cannot be trusted at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from connector.errors import ParseError
from connector.sources.era.model import (
    ZERO,
    Adjustment,
    BalanceError,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServiceLine,
)


def _sum(adjustments: Iterable[Adjustment]) -> Decimal:
    result = ZERO
    for adj in adjustments:
        result += adj.amount
    return result


def line_errors(line: ServiceLine, patient_control: str) -> list[BalanceError]:
    """``SVC02 - Σ CAS = SVC03`` for one service line."""
    expected = line.charge - _sum(line.adjustments)
    if expected == line.paid:
        return []
    return [
        BalanceError(
            "line",
            "line_balance",
            line.segment_no,
            "SVC",
            "SVC03",
            expected,
            line.paid,
            patient_control,
        )
    ]


def claim_errors(
    segment_no: int,
    patient_control: str,
    *,
    charge: Decimal,
    paid: Decimal,
    adjustments: Sequence[Adjustment],
    lines: Sequence[ServiceLine],
) -> list[BalanceError]:
    """Line, claim and claim-vs-lines balance of one claim (line errors first)."""
    errors: list[BalanceError] = []
    claim_cas = _sum(adjustments)
    line_cas = ZERO
    line_paid = ZERO
    for line in lines:
        line_cas += _sum(line.adjustments)
        line_paid += line.paid
        errors.extend(line_errors(line, patient_control))
    expected = charge - claim_cas - line_cas
    if expected != paid:
        errors.append(
            BalanceError(
                "claim",
                "claim_balance",
                segment_no,
                "CLP",
                "CLP04",
                expected,
                paid,
                patient_control,
            )
        )
    if lines:
        from_lines = line_paid - claim_cas
        if from_lines != paid:
            errors.append(
                BalanceError(
                    "claim",
                    "claim_line_payments",
                    segment_no,
                    "CLP",
                    "CLP04",
                    from_lines,
                    paid,
                    patient_control,
                )
            )
    return errors


GROUPS_5010 = frozenset({"CO", "PR", "OA", "PI"})


def claim_warnings(
    patient_control: str,
    patient_responsibility: Decimal | None,
    pr_total: Decimal,
    groups: Iterable[str],
) -> list[str]:
    """Checks that do not stop posting: ``CLP05 = Σ PR`` and the group codes used."""
    warnings: list[str] = []
    if patient_responsibility is not None and patient_responsibility != pr_total:
        warnings.append(
            f"claim {patient_control}: patient responsibility CLP05 {patient_responsibility}"
            f" differs from the PR adjustments {pr_total}"
        )
    for group in sorted(set(groups) - GROUPS_5010):
        if group == "CR":
            warnings.append(
                f"claim {patient_control}: group code CR is from 4010 and not valid in 5010"
            )
        else:
            warnings.append(f"claim {patient_control}: unknown adjustment group code {group[:4]!r}")
    return warnings


def transaction_errors(
    segment_no: int,
    signed_amount: Decimal,
    claims: Sequence[ClaimPayment],
    plb: Sequence[ProviderAdjustment],
) -> list[BalanceError]:
    """``BPR02 = Σ CLP04 - Σ PLB`` (BPR02 negative when BPR03 = D)."""
    paid = ZERO
    for claim in claims:
        paid += claim.paid
    return transaction_error(segment_no, signed_amount, paid, plb)


def transaction_error(
    segment_no: int, signed_amount: Decimal, claims_paid: Decimal, plb: Sequence[ProviderAdjustment]
) -> list[BalanceError]:
    """``BPR02 = Σ CLP04 - Σ PLB``, given ``Σ CLP04`` (summed while the claims were read)."""
    expected = claims_paid
    for adj in plb:
        expected -= adj.amount
    if expected == signed_amount:
        return []
    return [
        BalanceError(
            "transaction",
            "transaction_balance",
            segment_no,
            "BPR",
            "BPR02",
            expected,
            signed_amount,
        )
    ]


def remittance_errors(remittance: Remittance) -> list[BalanceError]:
    """Recompute every balancing rule of a parsed remittance from its model."""
    errors: list[BalanceError] = []
    for claim in remittance.claims:
        errors.extend(
            claim_errors(
                claim.segment_no,
                claim.patient_control,
                charge=claim.charge,
                paid=claim.paid,
                adjustments=claim.adjustments,
                lines=claim.lines,
            )
        )
    errors.extend(
        transaction_errors(
            remittance.segment_no + 1,  # BPR always follows ST
            remittance.signed_amount,
            remittance.claims,
            remittance.plb,
        )
    )
    return errors


def check_control(
    found: str,
    expected: str,
    *,
    what: str,
    file: str,
    segment_no: int,
    segment_id: str,
    element: str,
) -> None:
    """Raise when a trailer's control number or count differs from what was read.

    Counts compare as numbers (``0001`` = ``1``); control numbers compare as text.

    Raises:
        ParseError: naming both values.
    """
    same = found == expected
    if not same and (found + expected).isascii() and found.isdigit() and expected.isdigit():
        same = int(found) == int(expected) and element in {"SE01", "GE01", "IEA01"}
    if not same:
        raise ParseError(
            f"{what}: the file says {found or '(empty)'!s}, expected {expected}",
            file=file,
            segment_no=segment_no,
            segment_id=segment_id,
            element=element,
        )
