"""Eaglesoft ledger adapter: SQL Anywhere over ODBC, authenticated for writes.

What is written for a patient payment (one transaction) [V-code unless tagged]:

* one ``transactions_header`` row: type ``A`` (account payment) [V-code; letter meaning U],
  negative ``amount``, ``paytype_id``, ``resp_party_id`` = the responsible party, ``impacts``
  ``C``, ``description`` = our compact marker + a short label (≤ 50 characters [I]);
* ``transactions_detail`` rows — allocate mode: one per charge paid with ``applied_to`` = the
  charge's ``tran_num`` (line-item accounting) [I]; post-only: one unassigned row
  (``applied_to`` NULL);
* ``patient.current_bal`` recomputed for each member touched [V-code]; the aging buckets are
  left to Eaglesoft's own aging/end-of-day [U].

Refunds and lost disputes are type ``D`` debit adjustments with an adjustment type that impacts
collections [V-code]. Insurance payments are in :mod:`adapters.eaglesoft.claims` [U].
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from adapters.base import (
    ClaimMatch,
    ClaimRecord,
    OpenCharge,
    PatientRecord,
    PatientStatus,
    PmsPayment,
    PmsType,
    StepJournal,
    UnclaimedProcedure,
    VendorInfo,
    check_payment_plan,
    marker_for,
)
from adapters.eaglesoft import claims, history, patients, postings
from adapters.eaglesoft import mapping as m
from adapters.eaglesoft import queries as q
from adapters.eaglesoft.connection import EaglesoftConnector, build_connector
from adapters.patient_search import PatientMatch, PatientQuery
from adapters.pmssql.session import Session, Tx
from connector.clock import SYSTEM, Clock, local_now
from connector.domain import (
    AllocationMode,
    InsurancePaymentPlan,
    PatientNote,
    PatientPaymentPlan,
    PostedEntry,
    ReversalPlan,
)
from connector.errors import DataError, PermanentError
from connector.money import ZERO
from connector.redaction import Redactor

INT_MAX = 2**31 - 1
"""Patient ids are 32-bit integers: a larger number is no patient (and would overflow ODBC)."""


class EaglesoftLedger:
    """The :class:`adapters.base.Ledger` for Eaglesoft.

    Args:
        connector: opens authenticated connections and translates errors.
        writeoff_type_id: the adjustment type for insurance write-offs (default: the first
            type whose name mentions "write").
        clock: the one source of "now" (the daemon's; a test's fixed one).
        timezone: the practice's configured ``timezone:``. Every time this adapter stamps
            (``transactions_detail.date_entered``, a note's ``freshness``) is
            ``local_now(clock, timezone)``: Eaglesoft keeps local wall-clock times without a
            zone, and the practice's local time is not the connector machine's.

    ``self.clock()`` is that practice-local "now" (naive, whole seconds); the claim modules
    stamp with it too (:class:`adapters.eaglesoft.writer.LedgerWriter`).
    """

    vendor = "eaglesoft"

    def __init__(
        self,
        connector: EaglesoftConnector,
        *,
        writeoff_type_id: str | None = None,
        clock: Clock = SYSTEM,
        timezone: str = "UTC",
    ) -> None:
        self.connector = connector
        self.session = Session(connector.open, connector.guard)
        self.writeoff_type_id = writeoff_type_id
        self.timezone = timezone
        self.clock: Callable[[], dt.datetime] = partial(local_now, clock, timezone)

    @classmethod
    def from_settings(
        cls,
        settings: Any,
        *,
        practice_id: str,
        redactor: Redactor,
        clock: Clock = SYSTEM,
        timezone: str = "UTC",
    ) -> EaglesoftLedger:
        """Build from an ``EaglesoftPms`` section, stamping rows from ``clock`` in the
        practice's ``timezone``."""
        return cls(build_connector(settings, redactor=redactor), clock=clock, timezone=timezone)

    # --- reads -----------------------------------------------------------------------------

    def ping(self) -> VendorInfo:
        """Read ``system_preferences.version``; say whether writes are authenticated."""
        version = self.session.read("ping", lambda tx: tx.scalar(q.VERSION))
        return VendorInfo(
            vendor=self.vendor,
            version=str(version).strip() if version is not None else None,
            detail={
                "engine": self.connector.dialect.name,
                "write_authentication": self.connector.authentication is not None,
            },
        )

    def find_patient(self, patient_ref: str) -> PatientRecord | None:
        """The patient row, or None."""
        text = str(patient_ref).strip()
        if not (text.isascii() and text.isdigit()) or int(text) > INT_MAX:
            return None  # not a key of this PMS (and would overflow the ODBC parameter)
        row = self.session.read("find_patient", lambda tx: tx.one(q.PATIENT, int(text)))
        return m.patient_record(row) if row else None

    def family_charges(self, patient: PatientRecord) -> list[OpenCharge]:
        """Open charges of the responsible party's account (line-item accounting)."""
        return self.session.read("family_charges", lambda tx: _open(tx, patient.guarantor_id))

    def payment_types(self) -> list[PmsType]:
        """``paytype`` rows."""
        rows = self.session.read("payment_types", lambda tx: tx.rows(q.PAYMENT_TYPES))
        return [m.payment_type(row) for row in rows]

    def adjustment_types(self) -> list[PmsType]:
        """``adjustment_type`` rows (no sign: C or D is chosen per transaction)."""
        rows = self.session.read("adjustment_types", lambda tx: tx.rows(q.ADJUSTMENT_TYPES))
        return [m.adjustment_type(row) for row in rows]

    def patient_payments(
        self, patient: PatientRecord, start: dt.date, end: dt.date
    ) -> list[PmsPayment]:
        """The family's patient payments dated start…end (see :mod:`.history`)."""
        guarantor = int(patient.guarantor_id)
        return self.session.read(
            "patient_payments", lambda tx: history.family_payments(tx, guarantor, start, end)
        )

    def find_posting(
        self, external_ref: str, *, patient_id: str | None = None
    ) -> PostedEntry | None:
        """Headers whose description starts with this key's compact marker (``patient_id`` is
        not used: the description lookup does not read a patient's rows first); a second
        posting of the key is reported in ``duplicates`` (see :mod:`.postings`)."""
        return self.session.read("find_posting", lambda tx: postings.posted(tx, external_ref))

    def find_claims(self, match: ClaimMatch) -> list[ClaimRecord]:
        """The claims one criterion names (see :func:`claims.find`)."""
        return self.session.read("find_claims", lambda tx: claims.find(tx, match))

    # --- writes ----------------------------------------------------------------------------

    def post_patient_payment(self, plan: PatientPaymentPlan) -> PostedEntry:
        """Header + detail rows + balances, in one transaction."""
        check_payment_plan(plan)
        return self.session.write("post_patient_payment", lambda tx: self._pay(tx, plan))

    def post_reversal(self, plan: ReversalPlan) -> PostedEntry:
        """A type D debit adjustment for the amount leaving the practice."""
        if plan.amount <= 0:
            raise PermanentError("a reversal amount must be positive", code="plan_invalid")
        return self.session.write("post_reversal", lambda tx: self._reverse(tx, plan))

    def add_patient_note(self, note: PatientNote) -> dict[str, Any]:
        """A communication-log note in ``operatory_notes`` [V-code]."""
        return self.session.write("add_patient_note", lambda tx: self._note(tx, note))

    def post_insurance_payment(
        self, plan: InsurancePaymentPlan, journal: StepJournal
    ) -> PostedEntry:
        """Bulk payment for the check (step 1), then the claim's payment (step 2) [U]."""
        return claims.post(self, plan, journal)

    def unclaimed_procedures(self, start: dt.date, end: dt.date) -> list[UnclaimedProcedure]:
        """Completed procedures of insured patients on no claim (see ``queries``) [I]."""

        def read(tx: Tx) -> list[UnclaimedProcedure]:
            return [
                UnclaimedProcedure(
                    proc_ref=str(int(r["tran_num"])),
                    patient_id=str(int(r["patient_id"])),
                    date=m.as_date(r["tran_date"]),
                    code=str(r["code"] or "").strip(),
                    fee=m.money(r["amount"]),
                    provider_id=m.ident(r["provider_id"]),
                )
                for r in tx.rows(q.UNCLAIMED_PROCEDURES, start, end)
            ]

        return self.session.read("unclaimed_procedures", read)

    def search_patients(self, query: PatientQuery) -> list[PatientMatch]:
        """Patients by name start or id, for the console (see :mod:`.patients`)."""
        return self.session.read("search_patients", lambda tx: patients.search(tx, query))

    def close(self) -> None:
        """Close the connection."""
        self.session.close()

    # --- helpers shared with claims --------------------------------------------------------

    def patient(self, tx: Tx, patient_id: str) -> tuple[PatientRecord, dict[str, Any]]:
        """The patient and its row, or DataError."""
        row = tx.one(q.PATIENT, int(patient_id)) if str(patient_id).isdigit() else None
        if row is None:
            raise DataError(f"Eaglesoft has no patient {patient_id}", code="patient_not_found")
        record = m.patient_record(row)
        if record.status is PatientStatus.DELETED:
            raise DataError(f"Eaglesoft patient {patient_id} is deleted", code="patient_deleted")
        return record, row

    def insert_header(
        self,
        tx: Tx,
        *,
        kind: str,
        date: dt.date,
        resp_party: int,
        amount: Decimal,
        text: str,
        paytype: int | None = None,
        adjustment: int | None = None,
        claim_id: int | None = None,
        bulk: int | None = None,
        practice: int = 1,
    ) -> int:
        """Insert a header with MAX+1 ``tran_num``; returns it (re-read by ``text``)."""
        tx.execute(
            q.INSERT_HEADER, m.USER_ID, kind, date, resp_party, amount, paytype, text,
            m.IMPACTS_COLLECTIONS, adjustment, claim_id, bulk, date, practice,
        )  # fmt: skip
        tran = tx.scalar(q.HEADER_BY_DESCRIPTION, text, resp_party)
        if tran is None:
            raise PermanentError("Eaglesoft did not keep the new transaction header")
        return int(tran)

    def insert_detail(
        self,
        tx: Tx,
        tran: int,
        *,
        patient: int,
        provider: str | None,
        amount: Decimal,
        applied_to: int | None,
        practice: int = 1,
    ) -> None:
        """Insert one detail line (MAX+1 ``detail_id``)."""
        collections = provider
        if provider is not None:
            row = tx.one(q.PROVIDER, provider)
            collections = m.ident(row["collections_go_to"]) if row else None
            collections = collections or provider
        tx.execute(
            q.INSERT_DETAIL, tran, m.USER_ID, self.clock(), provider, collections, patient,
            amount, practice, practice, applied_to,
        )  # fmt: skip

    def refresh_balances(self, tx: Tx, patient_ids: set[int]) -> None:
        """Recompute ``current_bal`` of each patient from its detail lines."""
        for patient_id in sorted(patient_ids):
            tx.execute(q.REFRESH_BALANCE, patient_id, patient_id)

    # --- private ---------------------------------------------------------------------------

    def _pay(self, tx: Tx, plan: PatientPaymentPlan) -> PostedEntry:
        existing = postings.posted(tx, plan.external_ref)
        if existing is not None:
            return existing
        paytype = _int(plan.payment_type_id, "payment type")
        row = tx.one(q.PAYMENT_TYPE, paytype)
        if row is None or m.payment_type(row).hidden:
            raise PermanentError(
                f"payment type {plan.payment_type_id} is not an Eaglesoft paytype shown on the "
                "payment screen",
                code="unknown_payment_type",
            )
        patient, row = self.patient(tx, plan.patient_id)
        resp = int(patient.guarantor_id)
        practice = int(row["practice_id"] or 1)
        charges = {c.charge_ref: c for c in _open(tx, patient.guarantor_id)}
        lines = _detail_lines(self, tx, plan, patient, charges)
        label = f"{plan.status_label or 'Online pmt'} {plan.source_ref or ''}"
        text = m.description(m.compact_marker(plan.external_ref), label)
        tran = self.insert_header(
            tx, kind=m.TYPE_ACCOUNT_PAYMENT, date=plan.date, resp_party=resp,
            amount=-plan.amount, text=text, paytype=paytype, practice=practice,
        )  # fmt: skip
        for member, provider, amount, applied_to in lines:
            self.insert_detail(
                tx, tran, patient=member, provider=provider, amount=-amount,
                applied_to=applied_to, practice=practice,
            )  # fmt: skip
        self.refresh_balances(tx, {member for member, *_ in lines} | {resp})
        return PostedEntry(
            plan.external_ref, {"tran_nums": [tran], "resp_party_id": resp}, plan.amount
        )

    def _reverse(self, tx: Tx, plan: ReversalPlan) -> PostedEntry:
        existing = postings.posted(tx, plan.external_ref)
        if existing is not None:
            return existing
        adjustment = _int(plan.adjustment_type_id, "adjustment type")
        row = tx.one(q.ADJUSTMENT_TYPE, adjustment)
        if row is None or str(row["impacts"] or "").upper() != m.IMPACTS_COLLECTIONS:
            raise PermanentError(
                f"adjustment type {plan.adjustment_type_id} is not an Eaglesoft adjustment type "
                "that impacts collections (C); refunds are debit adjustments of such a type",
                code="refund_type_invalid",
            )
        patient, prow = self.patient(tx, plan.patient_id)
        resp, practice = int(patient.guarantor_id), int(prow["practice_id"] or 1)
        provider = plan.provider_id or _original_provider(tx, plan) or patient.provider_id
        original = m.compact_marker(plan.original_external_ref)
        label = _REVERSAL_LABELS.get(plan.reason, "Reversal")
        text = m.description(m.compact_marker(plan.external_ref), f"{label} of {original}")
        tran = self.insert_header(
            tx, kind=m.TYPE_DEBIT_ADJ, date=plan.date, resp_party=resp, amount=plan.amount,
            text=text, adjustment=adjustment, practice=practice,
        )  # fmt: skip
        self.insert_detail(
            tx, tran, patient=int(patient.patient_id), provider=provider, amount=plan.amount,
            applied_to=None, practice=practice,
        )  # fmt: skip
        self.refresh_balances(tx, {int(patient.patient_id), resp})
        return PostedEntry(
            plan.external_ref, {"tran_nums": [tran], "resp_party_id": resp}, plan.amount
        )

    def _note(self, tx: Tx, note: PatientNote) -> dict[str, Any]:
        text, body = "Payment note", note.text
        if note.external_ref:
            found = tx.scalar(q.NOTE_MARKED, m.marker_pattern(note.external_ref))
            if found is not None:
                return {"note_id": int(found), "already_existed": True}
            text = m.description(m.compact_marker(note.external_ref), text)
            body = f"{marker_for(note.external_ref)} {note.text}"
        patient, _ = self.patient(tx, note.patient_id)
        when = _local(note.when, self.timezone)
        tx.execute(
            q.INSERT_NOTE, int(patient.patient_id), when, m.USER_ID, m.NOTE_CLASS, m.NOTE_TYPE,
            m.NOTE_TYPE_ID, text, body, int(patient.guarantor_id), None, self.clock(), None,
        )  # fmt: skip
        note_id = tx.scalar(q.NEW_NOTE, int(patient.patient_id), text)
        return {"note_id": int(note_id)}


_REVERSAL_LABELS = {
    "refund": "Refund",
    "dispute": "Dispute",
    "ach_return": "ACH return",
    "payout_failure": "Payout fail",
}


def _local(when: dt.datetime, timezone: str) -> dt.datetime:
    """A note's time as Eaglesoft keeps it: the practice's wall clock, no zone (plans carry it
    so already; an aware time is converted to the practice's zone, not the machine's)."""
    if when.tzinfo is None:
        return when
    return when.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def _open(tx: Tx, guarantor_id: str) -> list[OpenCharge]:
    resp = int(guarantor_id)
    applied: dict[int, Decimal] = {}
    for row in tx.rows(q.APPLIED_CREDITS, resp):
        key = int(row["applied_to"])
        applied[key] = applied.get(key, ZERO) + m.money(row["amount"])
    return m.open_charges(tx.rows(q.FAMILY_CHARGES, resp), applied)


def _int(value: str | None, what: str) -> int:
    if value is None or not str(value).strip().isdigit():
        raise PermanentError(f"Eaglesoft {what} id {value!r} is not a number", code="plan_invalid")
    return int(value)


def _detail_lines(
    ledger: EaglesoftLedger,
    tx: Tx,
    plan: PatientPaymentPlan,
    patient: PatientRecord,
    charges: dict[str, OpenCharge],
) -> list[tuple[int, str | None, Decimal, int | None]]:
    """(member, provider, amount, applied_to) per detail line; checks charges still owe."""
    wanted: dict[str, Decimal] = {}
    lines: list[tuple[int, str | None, Decimal, int | None]] = []
    for split in plan.splits:
        member = patient
        if split.patient_id != patient.patient_id:
            member, _ = ledger.patient(tx, split.patient_id)
        if member.guarantor_id != patient.guarantor_id:
            raise DataError(
                f"split patient {split.patient_id} is not on patient {patient.patient_id}'s "
                "account",
                code="split_not_in_family",
            )
        provider, applied_to = split.provider_id, None
        if plan.mode is AllocationMode.ALLOCATE_OLDEST_FIRST and split.charge_ref:
            charge = charges.get(split.charge_ref)
            wanted[split.charge_ref] = wanted.get(split.charge_ref, ZERO) + split.amount
            if charge is None or charge.amount_due < wanted[split.charge_ref]:
                raise DataError(
                    f"charge {split.charge_ref} no longer has {wanted[split.charge_ref]} due",
                    code="charge_changed",
                )
            provider, applied_to = provider or charge.provider_id, int(split.charge_ref)
        lines.append(
            (int(member.patient_id), provider or member.provider_id, split.amount, applied_to)
        )
    return lines


def _original_provider(tx: Tx, plan: ReversalPlan) -> str | None:
    for tran in plan.original_pms_ids.get("tran_nums", []) or []:
        for row in tx.rows(q.DETAILS_OF, int(tran)):
            return m.ident(row["provider_id"])
    return None
