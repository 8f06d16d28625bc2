"""Dentrix G ledger adapter: reads the DDP ``admin.*`` views, writes ledger rows over ODBC.

What is written for a patient payment (one transaction) [V-code unless tagged]:

* one ``admin.fullproclog`` row per (patient, provider) of the plan's splits — chartstatus 90,
  proclogclass 1, proclogorder = payment type id, negative ``amt``, ``procdate`` = payment date,
  ``checknum`` = processor reference, ``patid`` = the member, ``guarid`` = the guarantor;
  Dentrix credits a provider per row [V-doc], so splits for different providers need rows;
* one ``admin.fullnotes`` note per row (notetype 1, noteid = procid) starting with the plan's
  marker — Dentrix keeps only the date, so the marker is what tells same-day payments apart;
* the guarantor's ``admin.aging`` row: buckets moved by the credit (oldest first) [I], and
  ``lastpaydate``/``lastpayamt``.

Refunds and lost disputes are proclogclass 2 rows with a ``+`` (debit) adjustment type: Dentrix
has no negative payments [V-doc NexHealth; V-code]. Insurance payments live in
:mod:`adapters.dentrix.claims` and are unverified against a real Dentrix [U].
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from adapters.base import (
    ChargeKind,
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
from adapters.dentrix import claims, history, patients, postings
from adapters.dentrix import mapping as m
from adapters.dentrix import queries as q
from adapters.dentrix.connection import DentrixConnector, build_connector
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
from connector.faults import kill_point
from connector.money import ZERO
from connector.redaction import Redactor

CHECKNUM_MAX = 15  # [U] length of fullproclog.checknum; we keep the reference's tail

INT_MAX = 2**31 - 1
"""Patient ids are 32-bit integers: a larger number is no patient (and would overflow ODBC)."""


class DentrixLedger:
    """The :class:`adapters.base.Ledger` for Dentrix G (c-treeACE, DDP views).

    Args:
        connector: opens connections and translates errors.
        writeoff_type_id: the ``-`` adjustment type for insurance write-offs (default: the
            first ``-`` type whose name mentions "write").
        clock: the one source of "now" (the daemon's; a test's fixed one).
        timezone: the practice's configured ``timezone:``. Every time this adapter stamps
            (``fullproclog.createdate``, a new ``aging`` row's ``agingdate``) is
            ``local_now(clock, timezone)``: Dentrix keeps local wall-clock times without a
            zone, and the practice's local time is not the connector machine's.

    ``self.clock()`` is that practice-local "now" (naive, whole seconds).
    """

    vendor = "dentrix"

    def __init__(
        self,
        connector: DentrixConnector,
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
    ) -> DentrixLedger:
        """Build from a ``DentrixPms`` section (see :mod:`adapters.dentrix`), stamping rows
        from ``clock`` in the practice's ``timezone``."""
        return cls(build_connector(settings, redactor=redactor), clock=clock, timezone=timezone)

    # --- reads -----------------------------------------------------------------------------

    def ping(self) -> VendorInfo:
        """Read the Dentrix data version (``admin.options`` Data_Version)."""
        version = self.session.read("ping", lambda tx: tx.scalar(q.VERSION, "Data_Version"))
        return VendorInfo(
            vendor=self.vendor,
            version=str(version) if version is not None else None,
            detail={"engine": self.connector.dialect.name},
        )

    def find_patient(self, patient_ref: str) -> PatientRecord | None:
        """The patient (``admin.v_patient``) or None."""
        text = str(patient_ref).strip()
        if not (text.isascii() and text.isdigit()) or int(text) > INT_MAX:
            return None  # not a key of this PMS (and would overflow the ODBC parameter)
        row = self.session.read("find_patient", lambda tx: tx.one(q.PATIENT, int(text)))
        return m.patient_record(row) if row else None

    def family_charges(self, patient: PatientRecord) -> list[OpenCharge]:
        """Open family charges by FIFO over the guarantor's ledger (see :mod:`.mapping`)."""
        return self.session.read("family_charges", lambda tx: _open(tx, patient.guarantor_id))

    def payment_types(self) -> list[PmsType]:
        """``admin.fulldef`` deftype 6."""
        rows = self.session.read("payment_types", lambda tx: tx.rows(q.DEFINITIONS, 6))
        return [m.pms_type(row, "payment") for row in rows]

    def adjustment_types(self) -> list[PmsType]:
        """``admin.fulldef`` deftype 9, with the ``+``/``-`` prefix as the sign."""
        rows = self.session.read("adjustment_types", lambda tx: tx.rows(q.DEFINITIONS, 9))
        return [m.pms_type(row, "adjustment") for row in rows]

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
        """Rows whose transaction note carries this key's marker (``patient_id`` is not used:
        the note lookup does not read a patient's rows first); a second posting of the key is
        reported in ``duplicates`` (see :mod:`.postings`)."""
        return self.session.read("find_posting", lambda tx: postings.posted(tx, external_ref))

    def find_claims(self, match: ClaimMatch) -> list[ClaimRecord]:
        """The claims one criterion names (see :func:`claims.find`)."""
        return self.session.read("find_claims", lambda tx: claims.find(tx, match))

    # --- writes ----------------------------------------------------------------------------

    def post_patient_payment(self, plan: PatientPaymentPlan) -> PostedEntry:
        """Write the payment rows, their notes and the aging change in one transaction."""
        check_payment_plan(plan)
        return self.session.write("post_patient_payment", lambda tx: self._pay(tx, plan))

    def post_reversal(self, plan: ReversalPlan) -> PostedEntry:
        """A debit adjustment (``+`` type) for the amount leaving the practice."""
        if plan.amount <= 0:
            raise PermanentError("a reversal amount must be positive", code="plan_invalid")
        return self.session.write("post_reversal", lambda tx: self._reverse(tx, plan))

    def add_patient_note(self, note: PatientNote) -> dict[str, Any]:
        """A contact-log entry (``admin.contact``) with its text in a notetype-49 note."""
        return self.session.write("add_patient_note", lambda tx: self._note(tx, note))

    def post_insurance_payment(
        self, plan: InsurancePaymentPlan, journal: StepJournal
    ) -> PostedEntry:
        """Class 3 row, per-procedure paid, write-offs, claim received — unverified [U]."""
        done = journal.done(claims.STEP)
        if done is not None:
            return PostedEntry(plan.external_ref, done, plan.paid_total, True, (claims.STEP,))
        entry = self.session.write(
            "post_insurance_payment",
            lambda tx: claims.post(self, tx, plan),
        )
        kill_point("insurance.step_written")
        journal.record(claims.STEP, entry.pms_ids)
        kill_point("insurance.between_steps")
        return entry

    def unclaimed_procedures(self, start: dt.date, end: dt.date) -> list[UnclaimedProcedure]:
        """Completed procedures of insured patients on no claim (see ``queries``) [I]."""

        def read(tx: Tx) -> list[UnclaimedProcedure]:
            return [
                UnclaimedProcedure(
                    proc_ref=str(int(r["procid"])),
                    patient_id=str(int(r["patid"])),
                    date=m.as_date(r["procdate"]),
                    code=str(r["adacode"] or "").strip(),
                    fee=m.money(r["amt"]),
                    provider_id=m.ident(r["provid"]),
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

    # --- helpers used by this module and by claims -----------------------------------------

    def insert_row(
        self,
        tx: Tx,
        *,
        patid: int,
        guarid: int,
        date: dt.date,
        klass: int,
        order: int,
        provid: str | None,
        amt: Decimal,
        note: str,
        checknum: str | None = None,
        claimid: int = 0,
    ) -> int:
        """Insert one ledger row and its transaction note; returns the new procid."""
        created = self.clock()
        tx.execute(
            q.INSERT_LEDGER_ROW,
            patid, guarid, date, klass, order, provid, amt, created, checknum, claimid,
        )  # fmt: skip
        identity = self.connector.dialect.identity_sql
        if identity is not None:
            procid = tx.scalar(identity)
        else:  # [I] re-read by the values just inserted, inside the same transaction
            procid = tx.scalar(q.REREAD_LEDGER_ROW, patid, guarid, date, klass, order, amt, created)
        if procid is None:
            raise PermanentError("Dentrix did not return the new ledger row's id")
        tx.execute(q.INSERT_NOTE, m.NOTE_TRANSACTION, int(procid), note)
        return int(procid)

    def move_aging(self, tx: Tx, guarid: int, change: Decimal) -> None:
        """Apply ``change`` (credit < 0) to the guarantor's aging buckets, creating the row."""
        row = tx.one(q.AGING, guarid)
        if row is None:
            tx.execute(q.INSERT_AGING, guarid, self.clock().date())
            row = tx.one(q.AGING, guarid)
        assert row is not None
        current = tuple(
            m.money(row[k]) for k in ("aging0to30", "aging31to60", "aging61to90", "aging91plus")
        )
        deltas = m.aging_change((current[0], current[1], current[2], current[3]), change)
        tx.execute(q.UPDATE_AGING_BUCKETS, *deltas, guarid)

    def patient(self, tx: Tx, patient_id: str) -> PatientRecord:
        """The plan's patient, or DataError when Dentrix no longer has it."""
        row = tx.one(q.PATIENT, int(patient_id)) if str(patient_id).isdigit() else None
        if row is None:
            raise DataError(f"Dentrix has no patient {patient_id}", code="patient_not_found")
        record = m.patient_record(row)
        if record.status is PatientStatus.DELETED:
            raise DataError(f"Dentrix patient {patient_id} is deleted", code="patient_deleted")
        return record

    # --- private ---------------------------------------------------------------------------

    def _pay(self, tx: Tx, plan: PatientPaymentPlan) -> PostedEntry:
        existing = postings.posted(tx, plan.external_ref)
        if existing is not None:
            return existing
        if tx.one(q.DEFINITION, m.PAYMENT_TYPES, _int(plan.payment_type_id, "type")) is None:
            raise PermanentError(
                f"payment type {plan.payment_type_id} is not a Dentrix payment type (deftype 6)",
                code="unknown_payment_type",
            )
        patient = self.patient(tx, plan.patient_id)
        guarid = int(patient.guarantor_id)
        charges = {c.charge_ref: c for c in _open(tx, patient.guarantor_id)}
        groups = _group(self, tx, plan, patient, charges)
        procids: list[int] = []
        for index, ((patid, provid), (amount, applied)) in enumerate(groups.items(), start=1):
            text = _payment_note(plan, applied, index, len(groups))
            procids.append(
                self.insert_row(
                    tx,
                    patid=patid,
                    guarid=guarid,
                    date=plan.date,
                    klass=m.CLASS_PAYMENT,
                    order=int(plan.payment_type_id),
                    provid=provid,
                    amt=-amount,
                    note=text,
                    checknum=_checknum(plan.source_ref or plan.external_ref),
                )
            )
        self.move_aging(tx, guarid, -plan.amount)
        tx.execute(q.UPDATE_AGING_LAST_PAYMENT, plan.date, plan.amount, guarid, plan.date)
        return PostedEntry(plan.external_ref, {"procids": procids, "guarid": guarid}, plan.amount)

    def _reverse(self, tx: Tx, plan: ReversalPlan) -> PostedEntry:
        existing = postings.posted(tx, plan.external_ref)
        if existing is not None:
            return existing
        type_id = _int(plan.adjustment_type_id, "adjustment type")
        row = tx.one(q.DEFINITION, m.ADJUSTMENT_TYPES, type_id)
        if row is None or m.pms_type(row, "adjustment").sign != "+":
            raise PermanentError(
                f"adjustment type {plan.adjustment_type_id} is not a '+' (debit) adjustment "
                "type; Dentrix has no negative payments, so refunds need a '+' type",
                code="refund_type_invalid",
            )
        patient = self.patient(tx, plan.patient_id)
        provid = plan.provider_id or _original_provider(tx, plan) or patient.provider_id
        note = (
            f"{plan.marker} {plan.reason.replace('_', ' ')} of "
            f"{marker_for(plan.original_external_ref)}" + (f" {plan.note}" if plan.note else "")
        )
        procid = self.insert_row(
            tx, patid=int(patient.patient_id), guarid=int(patient.guarantor_id), date=plan.date,
            klass=m.CLASS_ADJUSTMENT, order=type_id, provid=provid, amt=plan.amount, note=note,
            checknum=_checknum(plan.external_ref),
        )  # fmt: skip
        self.move_aging(tx, int(patient.guarantor_id), plan.amount)
        return PostedEntry(
            plan.external_ref,
            {"procids": [procid], "guarid": int(patient.guarantor_id)},
            plan.amount,
        )

    def _note(self, tx: Tx, note: PatientNote) -> dict[str, Any]:
        text = note.text
        if note.external_ref:
            marker = marker_for(note.external_ref)
            for row in tx.rows(q.NOTES_OF_TYPE, m.NOTE_CONTACT, marker):
                if str(row["notetext"] or "").startswith(marker):
                    return {"contactid": int(row["noteid"]), "already_existed": True}
            text = f"{marker} {text}"
        patient = self.patient(tx, note.patient_id)
        when = _local(note.when, self.timezone)
        args = (when.date(), when.strftime("%H:%M:%S"), int(patient.patient_id))
        title, kind = "Payment note", m.CONTACT_TYPE_NOTE
        tx.execute(q.INSERT_CONTACT, *args, patient.provider_id, title, kind)
        identity = self.connector.dialect.identity_sql
        if identity is not None:
            contactid = tx.scalar(identity)
        else:  # [I] re-read by the values just inserted
            contactid = tx.scalar(q.REREAD_CONTACT, *args, title, kind)
        tx.execute(q.INSERT_NOTE, m.NOTE_CONTACT, int(contactid), text)
        return {"contactid": int(contactid)}


def _local(when: dt.datetime, timezone: str) -> dt.datetime:
    """A note's time as Dentrix keeps it: the practice's wall clock, no zone (plans carry it
    so already; an aware time is converted to the practice's zone, not the machine's)."""
    if when.tzinfo is None:
        return when
    return when.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def _open(tx: Tx, guarantor_id: str) -> list[OpenCharge]:
    rows = tx.rows(q.FAMILY_LEDGER, int(guarantor_id))
    return m.open_charges(m.LedgerRow.of(row) for row in rows)


def _int(value: str | None, what: str) -> int:
    if value is None or not str(value).strip().lstrip("-").isdigit():
        raise PermanentError(f"Dentrix {what} id {value!r} is not a number", code="plan_invalid")
    return int(value)


def _group(
    ledger: DentrixLedger,
    tx: Tx,
    plan: PatientPaymentPlan,
    patient: PatientRecord,
    charges: dict[str, OpenCharge],
) -> dict[tuple[int, str | None], tuple[Decimal, list[str]]]:
    """Splits grouped by (patient, provider): one Dentrix row each, with the parts each row
    pays for its note (``proc 2002 120.00``, ``adj 2010 5.00``, ``unapplied 5.00``); checks
    that every charge still owes what the plan pays on it."""
    wanted: dict[str, Decimal] = {}
    groups: dict[tuple[int, str | None], tuple[Decimal, list[str]]] = {}
    members: dict[str, PatientRecord] = {patient.patient_id: patient}
    for split in plan.splits:
        member = members.get(split.patient_id) or ledger.patient(tx, split.patient_id)
        members[member.patient_id] = member
        if member.guarantor_id != patient.guarantor_id:
            raise DataError(
                f"split patient {split.patient_id} is not in patient {patient.patient_id}'s family",
                code="split_not_in_family",
            )
        provider = split.provider_id
        part = f"unapplied {split.amount}"
        if plan.mode is AllocationMode.ALLOCATE_OLDEST_FIRST and split.charge_ref:
            charge = charges.get(split.charge_ref)
            wanted[split.charge_ref] = wanted.get(split.charge_ref, ZERO) + split.amount
            if charge is None or charge.amount_due < wanted[split.charge_ref]:
                raise DataError(
                    f"charge {split.charge_ref} no longer has {wanted[split.charge_ref]} due",
                    code="charge_changed",
                )
            provider = provider or charge.provider_id
            kind = "proc" if charge.kind is ChargeKind.PROCEDURE else "adj"
            part = f"{kind} {split.charge_ref} {split.amount}"
        key = (int(member.patient_id), provider or member.provider_id)
        amount, parts = groups.get(key, (ZERO, []))
        groups[key] = (amount + split.amount, [*parts, part])
    return groups


def _payment_note(plan: PatientPaymentPlan, parts: list[str], index: int, count: int) -> str:
    """Marker first (what find_posting looks for), the splits last (what staff read)."""
    words = [plan.marker, plan.status_label or "Online payment"]
    if plan.source_ref:
        words.append(f"ref {plan.source_ref}")
    if count > 1:
        words.append(f"part {index} of {count}")
    if plan.note:
        words.append(plan.note)
    words.append("splits: " + "; ".join(parts))
    return " ".join(words)


def _checknum(reference: str) -> str:
    return reference[-CHECKNUM_MAX:]


def _original_provider(tx: Tx, plan: ReversalPlan) -> str | None:
    for procid in plan.original_pms_ids.get("procids", []) or []:
        row = tx.one(q.LEDGER_ROWS, int(procid))
        if row is not None:
            return m.ident(row["provid"])
    return None
