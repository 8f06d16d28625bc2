"""Dentrix G: the deductible an ERA applied, written as data (issue 19, item 2).

Facts. Dentrix tracks deductibles met per benefit year for the individual and the family, by
type (Standard, Preventive, Other), updates them itself when an insurance payment is posted, and
lets staff edit them in Family File → Insurance → Benefits/Coverage → Deductibles/Maximums
[V-doc: Dentrix Help "Editing deductibles and maximums"; Dentrix Blog "Entering Deductibles
Met/Benefits Used", 2013/2019]. A public Dentrix G table dump (the c-tree tables behind the DDP
``admin.`` views, database ``akmm6dtx``) names the columns [V-code]:

* ``admin.patient``: ``primstdded``, ``primprvded``, ``primotherded`` (primary plan) and
  ``secstdded``, ``secprvded``, ``secotherded`` (secondary), beside ``primbenefits`` and the
  ``*lastyr`` columns — the individual deductibles met this year [I: meaning from the names and
  their neighbours];
* ``admin.insured``: ``famstddedmet``, ``famprvdedmet``, ``famotherdedmet`` — the family
  deductibles met on the subscriber's plan;
* ``admin.inscarrier``: ``stddedperperson`` … ``otherdedperfam`` — the plan's deductibles.

What we write, in the insurance payment's transaction: the claim's deductible (the sum of the
plan's per-line PR-1 amounts) added to the patient's *standard* deductible met of the claim's
plan (``primstdded`` on a primary claim, ``secstdded`` on a secondary one) and to the family's
``famstddedmet`` on the claim's insured row. A reversal's deductibles are negative, so the same
writes back out what the payment added (never below zero).

[I]/[U]: which of the three types a procedure's deductible counts against comes from the
coverage table (``instab2.dedtype``), whose codes are not public [U], so everything goes to
Standard (the type Dentrix applies unless the coverage table says otherwise [I]); a payment
for a claim of the previous benefit year still lands in this year's columns [U: how Dentrix
rolls the year over into ``*lastyr``].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.dentrix import mapping as m
from adapters.dentrix import queries as q
from adapters.pmssql.session import Tx
from connector.domain import InsurancePaymentPlan
from connector.money import ZERO, total


def apply(tx: Tx, plan: InsurancePaymentPlan, claim: Mapping[str, Any]) -> None:
    """Add the plan's deductible (negative for a reversal) to the deductibles met."""
    amount = total(line.deductible for line in plan.lines)
    if amount == ZERO:
        return
    secondary = int(claim["claimtype"] or 0) == 1  # [I] claimtype 1 = secondary
    sql = q.ADD_SECONDARY_DEDUCTIBLE_MET if secondary else q.ADD_PRIMARY_DEDUCTIBLE_MET
    tx.execute(sql, amount, amount, int(plan.patient_id))
    insured = m.ident(claim["insuredid"])
    if insured is not None:
        tx.execute(q.ADD_FAMILY_DEDUCTIBLE_MET, amount, amount, int(insured))
