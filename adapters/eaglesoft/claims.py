"""Eaglesoft claims: finding the claim an ERA pays, posting insurance money, reading our rows.

UNVERIFIED [U]: no public source shows a third party posting insurance payments into Eaglesoft
through SQL (vendors post "into the Account window" [V-doc]). What we write follows the columns
integrators read [V-code] and our inference of how they relate [I]. Two steps, each in its own
transaction and recorded in the step journal so a retry resumes:

1. ``bulk_payments`` — the check/EFT, shared by every claim of one remittance, found again by
   a marker made from the check number and amount (``bulk_payment_num`` MAX+1) [V-code table];
2. the claim's payment — a type ``I`` header [U letter] with ``claim_id`` and
   ``bulk_payment_num``, one detail per procedure with ``applied_to`` = the service's
   ``tran_num``; write-offs as a type ``C`` header with the write-off adjustment type and one
   detail per procedure; ``paid_primary``/``paid_secondary`` on the services,
   ``prim_total_paid``/``sec_total_paid`` on the claim and the patient; ``current_bal``
   refreshed; the patient's remaining deductible lowered by the claim's deductible
   (:mod:`adapters.eaglesoft.deductibles`) [I throughout].

A claim reversal (every amount negative) is written as debit adjustments in step 2 instead:
see :mod:`adapters.eaglesoft.claim_reversal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from adapters.base import ClaimLine, ClaimMatch, ClaimRecord, StepJournal
from adapters.eaglesoft import claim_reversal, deductibles
from adapters.eaglesoft import mapping as m
from adapters.eaglesoft import queries as q
from adapters.eaglesoft.postings import posted
from adapters.eaglesoft.writer import LedgerWriter, insert_service_detail
from adapters.pmssql.claims import ClaimQueries, find_claims
from adapters.pmssql.reversal import is_reversal
from adapters.pmssql.session import Tx
from connector.domain import InsurancePaymentPlan, PostedEntry
from connector.errors import DataError, PermanentError
from connector.faults import kill_point
from connector.money import total

STEP_BULK = "eaglesoft_bulk_payment"
STEP_CLAIM = "eaglesoft_claim_payment"


def check_key(plan: InsurancePaymentPlan) -> str:
    """The key a check's bulk payment is marked with (number + amount + payer)."""
    return f"check:{plan.check.number}:{plan.check.amount}:{plan.check.payer_name}"


_QUERIES = ClaimQueries(q.CLAIM, q.CLAIMS_SERVED_BETWEEN, "claim_id", "patient_id")


def find(tx: Tx, match: ClaimMatch) -> list[ClaimRecord]:
    """Claims for one criterion (see ``Ledger.find_claims`` and adapters/pmssql/claims.py)."""
    return find_claims(tx, match, _QUERIES, _record)


def _secondary(row: Mapping[str, Any]) -> bool:
    return str(row["claim_type"] or "P").strip().upper() == "S"  # [U] claim_type letters


def _record(tx: Tx, row: Mapping[str, Any]) -> ClaimRecord:
    claim_id = int(row["claim_id"])
    secondary = _secondary(row)
    paid_total = m.money(row["prim_total_paid"]) + m.money(row["sec_total_paid"])
    received = paid_total != 0  # [I] no received flag among the columns seen
    lines = tuple(
        ClaimLine(
            proc_ref=str(line["tran_num"]),
            code=str(line["ada_code"] or line["service_code"] or "").strip(),
            date=m.as_date(line["tran_date"]),
            fee=m.money(line["amount"]),
            expected_insurance=m.money(line["est_secondary" if secondary else "est_primary"]),
            received=received,
            paid=m.money(line["paid_secondary" if secondary else "paid_primary"]),
        )
        for line in tx.rows(q.CLAIM_LINES, claim_id)
    )
    patient = tx.one(q.PATIENT, int(row["patient_id"]))
    company = row["prim_insurance_company_id"]
    carrier = tx.scalar(q.COMPANY, company) if company else None
    fee = m.money(row["prim_submitted_total"]) or total(line.fee for line in lines)
    return ClaimRecord(
        claim_id=str(claim_id),
        patient_id=str(row["patient_id"]),
        claim_identifier=str(claim_id),
        status="received" if received else "sent",
        received=received,
        date_service=min((line.date for line in lines), default=m.as_date(row["date_created"])),
        total_fee=fee,
        plan_count=m.patient_record(patient).insurance_plan_count if patient else 0,
        claim_type="secondary" if secondary else "primary",
        lines=lines,
        has_secondary_plan=bool(patient and m.ident(patient["sec_employer_id"])),
        carrier_name=str(carrier).strip() if carrier else None,
    )


def post(ledger: LedgerWriter, plan: InsurancePaymentPlan, journal: StepJournal) -> PostedEntry:
    """Step 1 (bulk payment) then step 2 (the claim's payment); each resumes from the journal."""
    is_reversal(plan)  # refuses a plan that mixes money in and out before anything is written
    bulk = journal.done(STEP_BULK)
    if bulk is None:
        bulk = ledger.session.write("bulk_payment", lambda tx: _bulk(tx, plan))
        kill_point("insurance.step_written")
        journal.record(STEP_BULK, bulk)
        kill_point("insurance.between_steps")
    done = journal.done(STEP_CLAIM)
    if done is not None:
        ids = {**done, **bulk}
        return PostedEntry(plan.external_ref, ids, plan.paid_total, True, (STEP_BULK, STEP_CLAIM))
    entry = ledger.session.write(
        "post_insurance_payment",
        lambda tx: _claim_payment(ledger, tx, plan, int(bulk["bulk_payment_num"])),
    )
    kill_point("insurance.step_written")
    journal.record(STEP_CLAIM, entry.pms_ids)
    kill_point("insurance.between_steps")
    return PostedEntry(
        plan.external_ref,
        {**entry.pms_ids, **bulk},
        entry.amount,
        entry.already_existed,
        (STEP_BULK, STEP_CLAIM),
    )


def _validated(tx: Tx, plan: InsurancePaymentPlan) -> tuple[dict[str, Any], dict[str, Any]]:
    """The claim row and its services by tran_num, or DataError (checked in both steps, so
    no bulk payment is created for a plan step 2 would refuse)."""
    claim = tx.one(q.CLAIM, int(plan.claim_id)) if plan.claim_id.isdigit() else None
    if claim is None or str(claim["patient_id"]) != plan.patient_id:
        raise DataError(f"Eaglesoft claim {plan.claim_id} not found for the patient",
                        code="claim_not_found")  # fmt: skip
    services = {str(r["tran_num"]): r for r in tx.rows(q.CLAIM_LINES, int(plan.claim_id))}
    missing = [line.proc_ref for line in plan.lines if line.proc_ref not in services]
    if missing:
        raise DataError(f"services {missing} are not on claim {plan.claim_id}",
                        code="claim_changed")  # fmt: skip
    received = m.money(claim["prim_total_paid"]) or m.money(claim["sec_total_paid"])
    if received and not plan.supplemental and posted(tx, plan.external_ref) is None:
        raise DataError(
            f"Eaglesoft claim {plan.claim_id} is already paid; only supplemental payments can "
            "be added to it",
            code="claim_already_received",
        )
    return claim, services


def _bulk(tx: Tx, plan: InsurancePaymentPlan) -> dict[str, Any]:
    claim, _ = _validated(tx, plan)
    key = check_key(plan)
    existing = tx.scalar(q.BULK_MARKED, m.marker_pattern(key))
    if existing is not None:
        return {"bulk_payment_num": int(existing)}
    paytype = plan.check.payment_type_id
    text = m.description(m.compact_marker(key, auto=plan.auto_posted), f"chk {plan.check.number}")
    tx.execute(
        q.INSERT_BULK,
        claim["prim_insurance_company_id"],
        int(paytype) if paytype and paytype.isdigit() else None,
        plan.check.amount,
        text,
    )
    return {"bulk_payment_num": int(tx.scalar(q.BULK_MARKED, m.marker_pattern(key)))}


def writeoff_type(ledger: LedgerWriter, tx: Tx) -> int:
    """The adjustment type for write-offs (configured, or named like one)."""
    types = [m.adjustment_type(r) for r in tx.rows(q.ADJUSTMENT_TYPES)]
    if ledger.writeoff_type_id is not None:
        chosen = [t for t in types if t.id == ledger.writeoff_type_id]
    else:
        chosen = [t for t in types if "write" in t.name.lower()]
    if not chosen:
        raise PermanentError(
            "no Eaglesoft adjustment type for insurance write-offs found; create one "
            "(e.g. 'Insurance Write-off') or configure its id",
            code="writeoff_type_missing",
        )
    return int(chosen[0].id)


def _claim_payment(
    ledger: LedgerWriter, tx: Tx, plan: InsurancePaymentPlan, bulk: int
) -> PostedEntry:
    existing = posted(tx, plan.external_ref)
    if existing is not None:
        return existing
    claim, services = _validated(tx, plan)
    if is_reversal(plan):  # CLP02 = 22: debit adjustments on the claim (see claim_reversal)
        return claim_reversal.post(
            ledger, tx, plan, claim, services, bulk,
            secondary=_secondary(claim), writeoff_type=writeoff_type(ledger, tx),
        )  # fmt: skip
    patient, prow = ledger.patient(tx, plan.patient_id)
    resp, practice = int(patient.guarantor_id), int(prow["practice_id"] or 1)
    claim_id, secondary = int(plan.claim_id), _secondary(claim)
    marker = m.compact_marker(plan.external_ref, auto=plan.auto_posted)
    trans: list[int] = []
    touched = {resp}
    if plan.paid_total > 0:
        paytype = plan.check.payment_type_id
        tran = ledger.insert_header(
            tx, kind=m.TYPE_INSURANCE_PAYMENT, date=plan.date_received, resp_party=resp,
            amount=-plan.paid_total, text=m.description(marker, f"Ins chk {plan.check.number}"),
            paytype=int(paytype) if paytype and paytype.isdigit() else None,
            claim_id=claim_id, bulk=bulk, practice=practice,
        )  # fmt: skip
        trans.append(tran)
        for line in (x for x in plan.lines if x.paid > 0):
            insert_service_detail(
                ledger,
                tx,
                tran,
                services[line.proc_ref],
                line.paid,
                practice=practice,
                touched=touched,
            )
    writeoffs: Decimal = total(line.writeoff for line in plan.lines)
    if writeoffs > 0:
        tran = ledger.insert_header(
            tx, kind=m.TYPE_CREDIT_ADJ, date=plan.date_received, resp_party=resp,
            amount=-writeoffs, text=m.description(marker, "Ins write-off"),
            adjustment=writeoff_type(ledger, tx), claim_id=claim_id, practice=practice,
        )  # fmt: skip
        trans.append(tran)
        for line in (x for x in plan.lines if x.writeoff > 0):
            insert_service_detail(
                ledger,
                tx,
                tran,
                services[line.proc_ref],
                line.writeoff,
                practice=practice,
                touched=touched,
            )
    line_sql = q.ADD_PAID_SECONDARY if secondary else q.ADD_PAID_PRIMARY
    for line in (x for x in plan.lines if x.paid):
        tx.execute(line_sql, line.paid, int(line.proc_ref), claim_id)
    claim_sql = q.ADD_CLAIM_PAID_SECONDARY if secondary else q.ADD_CLAIM_PAID_PRIMARY
    patient_sql = q.ADD_PATIENT_PAID_SECONDARY if secondary else q.ADD_PATIENT_PAID_PRIMARY
    tx.execute(claim_sql, plan.paid_total, claim_id)
    tx.execute(patient_sql, plan.paid_total, int(plan.patient_id))
    deductibles.apply(tx, plan, secondary=secondary)  # the deductible as data (deductibles.py)
    ledger.refresh_balances(tx, touched)
    tx.execute(
        q.INSERT_NOTE,
        int(plan.patient_id),
        ledger.clock(),
        m.USER_ID,
        m.NOTE_CLASS,
        m.NOTE_TYPE,
        m.NOTE_TYPE_ID,
        m.description(marker, "ERA claim payment"),
        claim_note(plan),
        resp,
        trans[0] if trans else None,
        ledger.clock(),
        claim_id,
    )  # fmt: skip  [I] per-line deductibles and remarks have no column we know of: a note
    ids = {"tran_nums": trans, "resp_party_id": resp, "claim_id": claim_id}
    return PostedEntry(plan.external_ref, ids, plan.paid_total, steps_done=(STEP_CLAIM,))


def claim_note(plan: InsurancePaymentPlan) -> str:
    """The ERA's per-line amounts, deductibles and remark codes, for staff to read."""
    parts = [plan.marker, f"check/EFT {plan.check.number}"]
    for line in plan.lines:
        text = f"service {line.proc_ref} paid {line.paid} write-off {line.writeoff}"
        if line.deductible:
            text += f" deductible {line.deductible}"
        if line.remarks:
            text += f" remarks {line.remarks}"
        parts.append(text)
    return "; ".join(parts)
