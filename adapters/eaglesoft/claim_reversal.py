"""Eaglesoft: an ERA claim reversal (CLP02 = 22), written the way Eaglesoft records money
leaving the practice.

Facts: Eaglesoft records refunds as type ``D`` (debit adjustment) transactions carrying an
adjustment type, with ``impacts = 'C'`` (collections) [V-code: the QuickBooks deposit tool and
Adit]; payments and credits are negative, debits positive [V-code]; deleting a transaction
makes Eaglesoft write offsetting "deletion adjustments" rather than removing history
[V-doc, Eaglesoft 18 upgrade notes]; insurance checks are ``bulk_payments`` [V-code]. No public
source shows Eaglesoft's own screen for an insurance takeback [U].

What we write, in the claim step (step 2, one transaction; step 1 is the reversing
remittance's bulk payment as for any claim):

* a type ``D`` header of the insurance refund adjustment type for the paid amount taken
  back, positive, with ``claim_id`` and the reversing check's ``bulk_payment_num``, one detail
  per service ``applied_to`` it [I];
* a type ``D`` header of the write-off adjustment type for the write-offs taken back, one detail
  per service [I: the offset of the type ``C`` write-off];
* ``paid_primary``/``paid_secondary`` on the services and ``prim_total_paid``/``sec_total_paid``
  on the claim and the patient lowered [I]; the remaining deductible given back by the
  deductible taken back (:mod:`adapters.eaglesoft.deductibles`) [I]; balances refreshed; a
  claim note [I].

The insurance refund type is the ``adjustment_type`` whose description mentions "ins" and
"refund"; without one the item dies with ``insurance_refund_type_missing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.eaglesoft import deductibles
from adapters.eaglesoft import mapping as m
from adapters.eaglesoft import queries as q
from adapters.eaglesoft.writer import LedgerWriter, insert_service_detail
from adapters.pmssql.reversal import insurance_refund_type
from adapters.pmssql.session import Tx
from connector.domain import InsurancePaymentPlan, PostedEntry
from connector.errors import DataError
from connector.money import ZERO, total


def refund_type(tx: Tx) -> int:
    """The adjustment type for insurance refunds (described with "ins" and "refund").

    Raises:
        PermanentError: ``insurance_refund_type_missing`` when Eaglesoft has none.
    """
    return insurance_refund_type(
        (m.adjustment_type(r) for r in tx.rows(q.ADJUSTMENT_TYPES)),
        "no Eaglesoft adjustment type for insurance refunds found; create one (e.g. "
        "'Insurance Refund')",
    )


def post(
    ledger: LedgerWriter,
    tx: Tx,
    plan: InsurancePaymentPlan,
    claim: Mapping[str, Any],
    services: Mapping[str, Mapping[str, Any]],
    bulk: int,
    *,
    secondary: bool,
    writeoff_type: int,
) -> PostedEntry:
    """Write the reversal (see the module docstring).

    Raises:
        DataError: ``claim_changed`` when Eaglesoft shows less paid on a service than the
            reversal takes back. PermanentError: no insurance refund type.
    """
    column = "paid_secondary" if secondary else "paid_primary"
    for line in plan.lines:
        shown = m.money(services[line.proc_ref][column])
        if shown < -line.paid:
            raise DataError(
                f"Eaglesoft shows {shown} paid on service {line.proc_ref} of claim "
                f"{plan.claim_id}; the reversal takes back {-line.paid}",
                code="claim_changed",
            )
    kind = refund_type(tx)
    patient, prow = ledger.patient(tx, plan.patient_id)
    resp, practice = int(patient.guarantor_id), int(prow["practice_id"] or 1)
    claim_id = int(plan.claim_id)
    marker = m.compact_marker(plan.external_ref, auto=plan.auto_posted)
    trans: list[int] = []
    touched = {resp}
    taken = -plan.paid_total
    if taken > ZERO:
        tran = ledger.insert_header(
            tx, kind=m.TYPE_DEBIT_ADJ, date=plan.date_received, resp_party=resp, amount=taken,
            text=m.description(marker, f"Ins refund chk {plan.check.number}"), adjustment=kind,
            claim_id=claim_id, bulk=bulk, practice=practice,
        )  # fmt: skip
        trans.append(tran)
        for line in (x for x in plan.lines if x.paid < ZERO):
            insert_service_detail(ledger, tx, tran, services[line.proc_ref], line.paid,
                                  practice=practice, touched=touched)  # fmt: skip
    writeoffs = -total(line.writeoff for line in plan.lines)
    if writeoffs > ZERO:
        tran = ledger.insert_header(
            tx, kind=m.TYPE_DEBIT_ADJ, date=plan.date_received, resp_party=resp,
            amount=writeoffs, text=m.description(marker, "Ins write-off reversal"),
            adjustment=writeoff_type, claim_id=claim_id, practice=practice,
        )  # fmt: skip
        trans.append(tran)
        for line in (x for x in plan.lines if x.writeoff < ZERO):
            insert_service_detail(ledger, tx, tran, services[line.proc_ref], line.writeoff,
                                  practice=practice, touched=touched)  # fmt: skip
    line_sql = q.ADD_PAID_SECONDARY if secondary else q.ADD_PAID_PRIMARY
    for line in (x for x in plan.lines if x.paid):
        tx.execute(line_sql, line.paid, int(line.proc_ref), claim_id)
    claim_sql = q.ADD_CLAIM_PAID_SECONDARY if secondary else q.ADD_CLAIM_PAID_PRIMARY
    patient_sql = q.ADD_PATIENT_PAID_SECONDARY if secondary else q.ADD_PATIENT_PAID_PRIMARY
    tx.execute(claim_sql, plan.paid_total, claim_id)
    tx.execute(patient_sql, plan.paid_total, int(plan.patient_id))
    deductibles.apply(tx, plan, secondary=secondary)  # negative: gives the deductible back
    ledger.refresh_balances(tx, touched)
    tx.execute(
        q.INSERT_NOTE, int(plan.patient_id), ledger.clock(), m.USER_ID, m.NOTE_CLASS,
        m.NOTE_TYPE, m.NOTE_TYPE_ID, m.description(marker, "ERA claim reversal"),
        _note(plan), resp, trans[0] if trans else None, ledger.clock(), claim_id,
    )  # fmt: skip
    ids = {"tran_nums": trans, "resp_party_id": resp, "claim_id": claim_id, "reversal": True}
    return PostedEntry(plan.external_ref, ids, plan.paid_total)


def _note(plan: InsurancePaymentPlan) -> str:
    parts = [plan.marker, f"claim reversal, check/EFT {plan.check.number}"]
    for line in plan.lines:
        text = f"service {line.proc_ref} taken back {-line.paid} write-off {-line.writeoff}"
        if line.deductible:
            text += f" deductible {-line.deductible}"
        parts.append(text)
    return "; ".join(parts)
