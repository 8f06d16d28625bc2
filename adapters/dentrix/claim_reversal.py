"""Dentrix G: an ERA claim reversal (CLP02 = 22), written the way Dentrix records money an
insurance carrier takes back.

Facts [V-doc, Dentrix Help "Setting up insurance write-off adjustment types" and Dentrix
article "Easily Entering Claim Adjustments with PP8"]: with a claim open, Total Insurance
Payment → Enter Adjustment → **Refund (+)** posts a *refund adjustment* on the claim, of the
default insurance refund adjustment type set in Ledger → File → Insurance Payment Setup (the
training example names it "Ins Over-pmt Refund"); Dentrix offers this "instead of entering
negative insurance payment amounts". Reversals and corrections arrive as a reversal plus a
re-sent claim, and a payment on an already received claim is an additional payment [V-doc].

What we write, in one transaction (so one journal step, like a payment):

* one proclogclass 2 row (chartstatus 90) of the insurance refund ``+`` adjustment type for
  the paid amount taken back, positive ``amt`` (a debit), ``claimid`` set, ``checknum`` = the
  reversing remittance's trace [V-code columns; that Dentrix's own refund adjustment row looks
  like this is I];
* per procedure whose write-off is taken back, one more such row for that amount, its note
  saying "write-off reversal on procedure N" [I: Dentrix has no negative write-off; the
  write-off is a ``-`` adjustment, so taking it back is a ``+`` one];
* ``amtpriminspaid`` (or ``amtsecinspaid``) lowered by what is taken back per procedure [I];
* ``admin.claim.totalreceived`` lowered; ``datereceived`` kept (the claim stays received, and
  the corrected claim that follows is posted onto it as an additional payment) [I];
* the deductible the reversal takes back (negative PR-1 amounts) subtracted from the
  deductibles met that the payment added (:mod:`adapters.dentrix.deductibles`) [I];
* the guarantor's aging moved by the debit [I].

The insurance refund type is the ``+`` adjustment type whose name mentions both "ins" and
"refund" (set one up in Dentrix as its Help describes); without one the item dies with
``insurance_refund_type_missing`` and says so. UNVERIFIED [U] against a real Dentrix G: which
columns Dentrix's own refund adjustment fills, and whether DDP write access allows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from adapters.base import PatientRecord
from adapters.dentrix import deductibles
from adapters.dentrix import mapping as m
from adapters.dentrix import queries as q
from adapters.dentrix.writer import LedgerWriter
from adapters.pmssql.reversal import insurance_refund_type, is_reversal
from adapters.pmssql.session import Tx
from connector.domain import InsurancePaymentPlan, PostedEntry
from connector.errors import DataError
from connector.money import ZERO

STEP = "dentrix_claim_payment"  # the same single step as a payment (claims.STEP)
__all__ = ["is_reversal", "post", "refund_type"]


def refund_type(tx: Tx) -> int:
    """The ``+`` adjustment type for insurance refunds (named with "ins" and "refund").

    Raises:
        PermanentError: ``insurance_refund_type_missing`` when Dentrix has none.
    """
    types = (m.pms_type(r, "adjustment") for r in tx.rows(q.DEFINITIONS, m.ADJUSTMENT_TYPES))
    return insurance_refund_type(
        types,
        "no '+' insurance refund adjustment type found in Dentrix; create one (e.g. "
        "'+Ins Over-pmt Refund', as Dentrix's Insurance Payment Setup uses)",
        sign="+",
    )


def post(
    ledger: LedgerWriter,
    tx: Tx,
    plan: InsurancePaymentPlan,
    claim: Mapping[str, Any],
    lines: Mapping[str, Mapping[str, Any]],
    patient: PatientRecord,
) -> PostedEntry:
    """Write the reversal (see the module docstring); ``claim``/``lines`` as read by the caller.

    Raises:
        DataError: ``claim_changed`` when Dentrix shows less paid on a procedure than the
            reversal takes back. PermanentError: no insurance refund type.
    """
    secondary = int(claim["claimtype"] or 0) == 1
    column = "amtsecinspaid" if secondary else "amtpriminspaid"
    for line in plan.lines:
        shown = m.money(lines[line.proc_ref][column])
        if shown < -line.paid:
            raise DataError(
                f"Dentrix shows {shown} paid on procedure {line.proc_ref} of claim "
                f"{plan.claim_id}; the reversal takes back {-line.paid}",
                code="claim_changed",
            )
    kind = refund_type(tx)
    guarid, claimid = int(patient.guarantor_id), int(plan.claim_id)
    first = lines[plan.lines[0].proc_ref] if plan.lines else None
    taken = -plan.paid_total
    procids: list[int] = []
    if taken > ZERO:
        procids.append(
            ledger.insert_row(
                tx,
                patid=int(plan.patient_id),
                guarid=guarid,
                date=plan.date_received,
                klass=m.CLASS_ADJUSTMENT,
                order=kind,
                provid=m.ident(first["provid"]) if first else patient.provider_id,
                amt=taken,
                note=_note(plan),
                checknum=plan.check.number[-15:],
                claimid=claimid,
            )
        )
    paid_sql = q.ADD_SECONDARY_PAID if secondary else q.ADD_PRIMARY_PAID
    writeoffs: Decimal = ZERO
    for line in plan.lines:
        if line.paid:
            tx.execute(paid_sql, line.paid, int(line.proc_ref), claimid)
        if line.writeoff < ZERO:
            row = lines[line.proc_ref]
            procids.append(
                ledger.insert_row(
                    tx,
                    patid=int(row["patid"]),
                    guarid=guarid,
                    date=plan.date_received,
                    klass=m.CLASS_ADJUSTMENT,
                    order=kind,
                    provid=m.ident(row["provid"]),
                    amt=-line.writeoff,
                    claimid=claimid,
                    note=f"{plan.marker} write-off reversal on procedure {line.proc_ref}",
                )
            )
            writeoffs -= line.writeoff
    tx.execute(q.ADD_CLAIM_RECEIVED_TOTAL, plan.paid_total, claimid)
    deductibles.apply(tx, plan, claim)  # negative deductibles: backs out what was added
    if taken + writeoffs:
        ledger.move_aging(tx, guarid, taken + writeoffs)
    ids = {"procids": procids, "claimid": claimid, "guarid": guarid, "reversal": True}
    return PostedEntry(plan.external_ref, ids, plan.paid_total, steps_done=(STEP,))


def _note(plan: InsurancePaymentPlan) -> str:
    parts = [plan.marker, f"insurance refund (claim reversal), check/EFT {plan.check.number}"]
    for line in plan.lines:
        text = f"proc {line.proc_ref} taken back {-line.paid}"
        if line.writeoff:
            text += f" write-off {-line.writeoff}"
        if line.deductible:
            text += f" deductible {-line.deductible}"
        parts.append(text)
    return "; ".join(parts)
