"""Claim reversals the same way for the SQL vendors (Dentrix, Eaglesoft): recognising the plan,
choosing the insurance refund adjustment type.

A reversal (CLP02 = 22) reaches an adapter as an :class:`InsurancePaymentPlan` whose amounts are
all negative or zero, marked supplemental (the claim it undoes is received); each vendor's
``claim_reversal`` module writes it the way that PMS records money a carrier takes back.
"""

from __future__ import annotations

from collections.abc import Iterable

from adapters.base import PmsType
from connector.domain import InsurancePaymentPlan
from connector.errors import DataError, PermanentError
from connector.money import ZERO


def is_reversal(plan: InsurancePaymentPlan) -> bool:
    """True when the plan takes money back (any negative amount).

    Raises:
        PermanentError: ``plan_invalid`` when it mixes money in and out.
        DataError: ``claim_not_received`` when the claim is not received (nothing to take
            back from: the plan is not supplemental).
    """
    amounts = [a for line in plan.lines for a in (line.paid, line.writeoff, line.deductible)]
    if not any(a < ZERO for a in amounts):
        return False
    if any(a > ZERO for a in amounts):
        raise PermanentError(
            f"claim {plan.claim_id}: a reversal takes money back on every line "
            "(no positive amounts)",
            code="plan_invalid",
        )
    if not plan.supplemental:
        raise DataError(
            f"claim {plan.claim_id} is not received in the PMS; a reversal takes money back "
            "from a received claim",
            code="claim_not_received",
        )
    return True


def insurance_refund_type(
    types: Iterable[PmsType], missing: str, *, sign: str | None = None
) -> int:
    """The first adjustment type named for insurance refunds ("ins" and "refund" in its name)
    of ``sign``, when the PMS signs its types (Dentrix's ``+``; Eaglesoft's have no sign).

    Raises:
        PermanentError: ``insurance_refund_type_missing`` with ``missing`` (what to create).
    """
    for t in types:
        name = t.name.lower()
        if (sign is None or t.sign == sign) and "refund" in name and "ins" in name:
            return int(t.id)
    raise PermanentError(missing, code="insurance_refund_type_missing")
