"""Eaglesoft: the deductible an ERA applied, written as data (issue 19, item 2).

Facts [V-code]: Eaglesoft's ``patient`` table has ``prim_remaining_deductible`` and
``sec_remaining_deductible`` beside ``prim_benefits_remaining``/``sec_benefits_remaining``
(a data-replication tool's full column list of ``patient`` and a rule engine that compares them
with the carrier's "individual deductible remaining", com.tricon ``Constants.java`` and
``EagleSoftQuery.java``; the Adit/Pozative agent fills a form field of the same name); the plan
(``employer``) has ``yearly_deductible``, ``lifetime_deductible_yn`` and ``beginning_month``, and
``benefits.deductible_applies`` says per service type whether the deductible applies. No
public source names a per-service or per-claim "deductible applied" column [U].

What we write, in the claim payment's transaction: the patient's remaining deductible of the
claim's plan (``prim_remaining_deductible`` on a primary claim, ``sec_…`` on a secondary one)
lowered by the claim's deductible (the sum of the plan's per-line PR-1 amounts), never below
zero. A reversal's deductibles are negative, so the same write gives the amount back.

[I]/[U]: that Eaglesoft keeps this column itself when it posts insurance (rather than
recomputing it from history, which would overwrite ours) [U]; family deductibles: no column
seen [U]; a payment for a claim of an earlier benefit year still lowers this year's figure [U].
"""

from __future__ import annotations

from adapters.eaglesoft import queries as q
from adapters.pmssql.session import Tx
from connector.domain import InsurancePaymentPlan
from connector.money import ZERO, total


def apply(tx: Tx, plan: InsurancePaymentPlan, *, secondary: bool) -> None:
    """Lower the patient's remaining deductible by the plan's (raise it for a reversal)."""
    amount = total(line.deductible for line in plan.lines)
    if amount == ZERO:
        return
    if secondary:
        sql = q.LOWER_SECONDARY_REMAINING_DEDUCTIBLE
    else:
        sql = q.LOWER_PRIMARY_REMAINING_DEDUCTIBLE
    tx.execute(sql, amount, amount, int(plan.patient_id))
