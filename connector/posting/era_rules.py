"""The auto-post decision for one matched ERA claim (Dentrix Ascend's criteria, generalised).

A claim is posted automatically only when **all** of these hold, checked in this order:

1. the patient has exactly **one** insurance plan, or the claim may post as the primary
   payment of a patient with another plan (``primary_with_secondary``, decided in
   :mod:`connector.posting.era_secondary`) (else ``multiple_plans``);
2. auto-posting is **enabled** (else ``auto_post_disabled``);
3. the payment is at least ``min_paid_percent_of_expected`` % of what the PMS expected
   insurance to pay (else ``paid_below_threshold``);
4. if the claim carries contractual write-offs, posting them is on — payment and write-off go
   together or not at all (else ``writeoffs_disabled``);
5. optionally, the payment is not above ``max_claim_amount`` (else ``max_claim_amount``).

The rules come from ``era.auto_post`` or, when the payer has an entry in ``per_payer``, from
that entry (it replaces the practice's rules). The decision records every input, so history
shows why each claim was or was not posted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector import jsonutil
from connector.config import AutoPostRules, AutoPostSettings
from connector.domain import ReviewDecision
from connector.money import ZERO
from connector.posting.reasons import review

CRITERIA = (
    "multiple_plans",
    "auto_post_disabled",
    "paid_below_threshold",
    "writeoffs_disabled",
    "max_claim_amount",
)


def rules_for(settings: AutoPostSettings, payer_id: str | None) -> tuple[AutoPostRules, str]:
    """The rules for ``payer_id`` and where they came from (``practice`` or ``payer:<id>``)."""
    if payer_id and payer_id in settings.per_payer:
        return settings.per_payer[payer_id], f"payer:{payer_id}"
    return settings, "practice"


def percent_of(paid: Decimal, expected: Decimal) -> Decimal | None:
    """``paid`` as a percentage of ``expected`` to two places; None when nothing was expected."""
    if expected <= ZERO:
        return None
    return (paid * 100 / expected).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class AutoPostDecision:
    """Whether to auto-post, the first criterion that failed, every failed one, and the inputs."""

    post: bool
    reason: str | None
    failed: tuple[str, ...]
    inputs: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form for history and review details."""
        data: dict[str, Any] = jsonutil.loads(
            jsonutil.dumps(
                {
                    "post": self.post,
                    "reason": self.reason,
                    "failed": list(self.failed),
                    "inputs": self.inputs,
                }
            )
        )
        return data

    def review(self, **context: Any) -> ReviewDecision:
        """The review for a claim that did not meet the criteria (``context``: claim ids).

        Raises:
            ValueError: the decision was to post.
        """
        if self.reason is None:
            raise ValueError("the claim met every auto-post criterion")
        i = self.inputs
        scope = "" if i["rules_from"] == "practice" else f" for payer {i['payer_id']}"
        fields = {
            **context,
            "plan_count": i["plan_count"],
            "scope": scope,
            "paid": i["paid"],
            "expected": i["expected"],
            "percent": i["percent"] if i["percent"] is not None else "n/a",
            "minimum": i["min_paid_percent_of_expected"],
            "writeoff": i["writeoff"],
            "maximum": i["max_claim_amount"],
            "decision": self.as_dict(),
        }
        return review(self.reason, **fields)


def decide(
    rules: AutoPostRules,
    *,
    plan_count: int,
    expected: Decimal,
    paid: Decimal,
    writeoff: Decimal,
    payer_id: str | None = None,
    rules_from: str = "practice",
    primary_with_secondary: bool = False,
) -> AutoPostDecision:
    """Apply the criteria to one claim.

    Args:
        rules: the practice's or payer's rules (see :func:`rules_for`).
        plan_count: the patient's number of insurance plans, from the PMS.
        expected: what the PMS expected insurance to pay on this claim (still unpaid).
        paid: what the remittance pays on it.
        writeoff: the contractual write-off (CAS group CO, plus mapped adjustments).
        payer_id: for the record.
        rules_from: ``practice`` or ``payer:<id>``, for the record.
        primary_with_secondary: the claim qualifies as the primary payment of a patient with
            another plan (the setting is on, processed as primary, the PMS's primary claim):
            more than one plan does not stop it.
    """
    minimum = rules.min_paid_percent_of_expected
    checks = {
        "multiple_plans": plan_count == 1 or primary_with_secondary,
        "auto_post_disabled": rules.enabled,
        "paid_below_threshold": paid * 100 >= minimum * expected,
        "writeoffs_disabled": rules.post_contracted_writeoffs or writeoff == ZERO,
        "max_claim_amount": rules.max_claim_amount is None or paid <= rules.max_claim_amount,
    }
    failed = tuple(name for name in CRITERIA if not checks[name])
    inputs = {
        "payer_id": payer_id,
        "rules_from": rules_from,
        "plan_count": plan_count,
        "primary_with_secondary": primary_with_secondary,
        "enabled": rules.enabled,
        "expected": expected,
        "paid": paid,
        "percent": percent_of(paid, expected),
        "min_paid_percent_of_expected": minimum,
        "writeoff": writeoff,
        "post_contracted_writeoffs": rules.post_contracted_writeoffs,
        "max_claim_amount": rules.max_claim_amount,
    }
    return AutoPostDecision(
        post=not failed, reason=failed[0] if failed else None, failed=failed, inputs=inputs
    )
