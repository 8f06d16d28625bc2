"""Dentrix claims: finding the claim an ERA pays, posting insurance money, reading our rows.

UNVERIFIED [U]: no public source shows a third party posting insurance payments into Dentrix G
through SQL; Dentrix's own path is Batch Insurance Payment Entry in the Ledger [V-doc]. What we
write follows the columns integrators read [V-code] and our inference of how they relate [I]:

* one proclogclass 3 row (chartstatus 90) for the claim's paid total, ``claimid`` set,
  ``checknum`` = the check/EFT trace number, ``proclogorder`` = the configured insurance payment
  type id or 0 [U];
* ``amtpriminspaid`` (primary claims) or ``amtsecinspaid`` (secondary) added per procedure [I];
* one proclogclass 2 row per procedure write-off with a ``-`` adjustment type, ``claimid`` set [I];
* the claim's deductible added to the patient's and family's deductibles met (see
  :mod:`adapters.dentrix.deductibles`: column names [V-code], meaning [I]);
* ``admin.claim.datereceived`` set and ``totalreceived`` increased [I];
* the guarantor's aging moved by paid + written off [I].
All in one transaction, so the step journal has a single step. A claim reversal (every amount
negative) is an insurance refund adjustment instead: see :mod:`adapters.dentrix.claim_reversal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from adapters.base import ClaimLine, ClaimMatch, ClaimRecord
from adapters.dentrix import claim_reversal, deductibles
from adapters.dentrix import mapping as m
from adapters.dentrix import queries as q
from adapters.dentrix.postings import posted
from adapters.dentrix.writer import LedgerWriter
from adapters.pmssql.claims import ClaimQueries, find_claims
from adapters.pmssql.session import Tx
from connector.domain import InsurancePaymentPlan, PostedEntry
from connector.errors import DataError, PermanentError
from connector.money import ZERO, total

STEP = "dentrix_claim_payment"
_CLAIM_TYPES = {0: "primary", 1: "secondary", 2: "preauth"}  # [I]


_QUERIES = ClaimQueries(q.CLAIM, q.CLAIMS_SERVED_BETWEEN, "claimid", "patid")


def find(tx: Tx, match: ClaimMatch) -> list[ClaimRecord]:
    """Claims for one criterion (see ``Ledger.find_claims`` and adapters/pmssql/claims.py)."""
    return find_claims(tx, match, _QUERIES, _record)


def _record(tx: Tx, row: Mapping[str, Any]) -> ClaimRecord:
    claimid = int(row["claimid"])
    claim_type = _CLAIM_TYPES.get(int(row["claimtype"] or 0), "other")
    received = row["datereceived"] is not None
    lines = tuple(
        ClaimLine(
            proc_ref=str(line["procid"]),
            code=str(line["adacode"] or "").strip(),
            date=m.as_date(line["procdate"]),
            fee=m.money(line["amt"]),
            # [U] Dentrix G's insurance estimate is not in the published views: report the
            # fee, so "paid at least what was expected" rules stay conservative, and say so.
            expected_insurance=m.money(line["amt"]),
            expected_from="fee",
            received=received,
            paid=m.money(line["amtsecinspaid" if claim_type == "secondary" else "amtpriminspaid"]),
        )
        for line in tx.rows(q.CLAIM_LINES, claimid)
    )
    patient = tx.one(q.PATIENT, int(row["patid"]))
    plans = m.patient_record(patient).insurance_plan_count if patient else 0
    carrier = tx.scalar(q.CARRIER_OF_INSURED, row["insuredid"]) if row["insuredid"] else None
    fee = m.money(row["totalfee"]) or total(line.fee for line in lines)
    return ClaimRecord(
        claim_id=str(claimid),
        patient_id=str(row["patid"]),
        claim_identifier=str(claimid),
        status=str(row["status"] if row["status"] is not None else ""),
        received=received,
        date_service=min((line.date for line in lines), default=m.as_date(row["dateofclaim"])),
        total_fee=fee,
        plan_count=plans,
        claim_type=claim_type,
        lines=lines,
        has_secondary_plan=bool(patient and m.ident(patient["secdentalinsuredid"])),
        carrier_name=str(carrier).strip() if carrier else None,
    )


def writeoff_type(ledger: LedgerWriter, tx: Tx) -> int:
    """The ``-`` adjustment type used for write-offs (configured, or named like one)."""
    types = [m.pms_type(r, "adjustment") for r in tx.rows(q.DEFINITIONS, m.ADJUSTMENT_TYPES)]
    if ledger.writeoff_type_id is not None:
        chosen = [t for t in types if t.id == ledger.writeoff_type_id and t.sign == "-"]
    else:
        chosen = [t for t in types if t.sign == "-" and "write" in t.name.lower()]
    if not chosen:
        raise PermanentError(
            "no '-' (credit) adjustment type for insurance write-offs found in Dentrix; "
            "create one (e.g. '-Ins Write-off') or configure its id",
            code="writeoff_type_missing",
        )
    return int(chosen[0].id)


def post(ledger: LedgerWriter, tx: Tx, plan: InsurancePaymentPlan) -> PostedEntry:
    """Write one ERA claim's payment (see the module docstring for what and how sure)."""
    existing = posted(tx, plan.external_ref)
    if existing is not None:
        return existing
    reversal = claim_reversal.is_reversal(plan)
    claim = tx.one(q.CLAIM, int(plan.claim_id)) if plan.claim_id.isdigit() else None
    if claim is None or str(claim["patid"]) != plan.patient_id:
        raise DataError(f"Dentrix claim {plan.claim_id} not found for the patient",
                        code="claim_not_found")  # fmt: skip
    if claim["datereceived"] is not None and not plan.supplemental:
        raise DataError(
            f"Dentrix claim {plan.claim_id} is already received; only supplemental payments "
            "can be added to it",
            code="claim_already_received",
        )
    lines = {str(r["procid"]): r for r in tx.rows(q.CLAIM_LINES, int(plan.claim_id))}
    missing = [line.proc_ref for line in plan.lines if line.proc_ref not in lines]
    if missing:
        raise DataError(f"procedures {missing} are not on claim {plan.claim_id}",
                        code="claim_changed")  # fmt: skip
    patient = ledger.patient(tx, plan.patient_id)
    if reversal:  # CLP02 = 22: an insurance refund adjustment (see claim_reversal)
        return claim_reversal.post(ledger, tx, plan, claim, lines, patient)
    guarid, claimid = int(patient.guarantor_id), int(plan.claim_id)
    paid_sql = q.ADD_SECONDARY_PAID if int(claim["claimtype"] or 0) == 1 else q.ADD_PRIMARY_PAID
    first = lines[plan.lines[0].proc_ref] if plan.lines else None
    procids: list[int] = []
    if plan.paid_total > 0:
        type_id = plan.check.payment_type_id or ""
        procids.append(
            ledger.insert_row(
                tx,
                patid=int(plan.patient_id),
                guarid=guarid,
                date=plan.date_received,
                klass=m.CLASS_INSURANCE,
                order=int(type_id) if type_id.isdigit() else 0,
                provid=m.ident(first["provid"]) if first else patient.provider_id,
                amt=-plan.paid_total,
                note=_note(plan),
                checknum=plan.check.number[-15:],
                claimid=claimid,
            )
        )
    writeoffs: Decimal = ZERO
    for line in plan.lines:
        if line.paid:
            tx.execute(paid_sql, line.paid, int(line.proc_ref), claimid)
        if line.writeoff > 0:
            row = lines[line.proc_ref]
            procids.append(
                ledger.insert_row(
                    tx,
                    patid=int(row["patid"]),
                    guarid=guarid,
                    date=plan.date_received,
                    klass=m.CLASS_ADJUSTMENT,
                    order=writeoff_type(ledger, tx),
                    provid=m.ident(row["provid"]),
                    amt=-line.writeoff,
                    claimid=claimid,
                    note=f"{plan.marker} write-off on procedure {line.proc_ref}",
                )
            )
            writeoffs += line.writeoff
    tx.execute(q.MARK_CLAIM_RECEIVED, plan.date_received, plan.paid_total, claimid)
    deductibles.apply(tx, plan, claim)  # the deductible as data (deductibles.py)
    if plan.paid_total + writeoffs:
        ledger.move_aging(tx, guarid, -(plan.paid_total + writeoffs))
    ids = {"procids": procids, "claimid": claimid, "guarid": guarid}
    return PostedEntry(plan.external_ref, ids, plan.paid_total, steps_done=(STEP,))


def _note(plan: InsurancePaymentPlan) -> str:
    parts = [plan.marker, f"insurance payment, check/EFT {plan.check.number}"]
    for line in plan.lines:
        extra = []
        if line.deductible:
            extra.append(f"deductible {line.deductible}")
        if line.remarks:
            extra.append(f"remarks {line.remarks}")
        parts.append(
            f"proc {line.proc_ref} paid {line.paid}" + (f" ({', '.join(extra)})" if extra else "")
        )
    return "; ".join(parts)
