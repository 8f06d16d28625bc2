"""Patients and their families over the read-only ODBC connection.

:func:`find`, :func:`family_charges` and :func:`family_payments` serve posting and planning;
:func:`search` is the staff console's patient search (``Ledger.search_patients``): ``patient``
by the start of ``LName``/``FName`` and ``Birthdate``. Names and birth dates are returned for
display only (never logged: the query's parameters are not logged)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from adapters.base import OpenCharge, PatientRecord, PmsPayment, has_marker
from adapters.opendental import mapping, queries
from adapters.opendental.db import ReadOnlyDb
from adapters.opendental.mapping import PAT_STATUS
from adapters.patient_search import PatientMatch, PatientQuery

_SELECT = "SELECT p.PatNum, p.Guarantor, p.PatStatus, p.FName, p.LName, p.Birthdate FROM patient p"
_ORDER = " ORDER BY p.LName, p.FName, p.PatNum"
_NO_DATE = dt.date(1, 1, 1)  # Open Dental's "no birth date"


def find(db: ReadOnlyDb, patient_ref: str) -> PatientRecord | None:
    """The patient with PatNum ``patient_ref`` (deleted ones included), else None."""
    pat_num = mapping.key(patient_ref)
    if pat_num is None:
        return None
    row = db.fetchone("patient", queries.PATIENT, (pat_num,))
    return mapping.patient_record(row) if row else None


def family_charges(db: ReadOnlyDb, patient: PatientRecord) -> list[OpenCharge]:
    """Open charges of the patient's family (same Guarantor), oldest first."""
    guarantor = mapping.key(patient.guarantor_id)
    if guarantor is None:
        return []
    rows = db.fetchall("family_charges", queries.FAMILY_CHARGES, (guarantor, guarantor))
    return mapping.open_charges(rows)


def family_payments(
    db: ReadOnlyDb, patient: PatientRecord, start: dt.date, end: dt.date
) -> list[PmsPayment]:
    """The family's ``payment`` rows dated start…end (entered by: the Open Dental user number,
    ``SecUserNumEntry``; 0 means not recorded)."""
    guarantor = mapping.key(patient.guarantor_id)
    if guarantor is None:
        return []
    rows = db.fetchall("family_payments", queries.FAMILY_PAYMENTS,
                       (guarantor, start, end))  # fmt: skip
    return [
        PmsPayment(
            pms_id=str(int(pay_num)),
            patient_id=str(int(pat_num)),
            date=mapping.as_date(pay_date),
            amount=Decimal(amount),
            payment_type=str(type_name) or None,
            entered_by=f"Open Dental user #{int(user)}" if int(user or 0) else None,
            ours=has_marker(note),
        )
        for pay_num, pat_num, pay_date, amount, type_name, user, note in rows
    ]


def search(db: ReadOnlyDb, query: PatientQuery) -> list[PatientMatch]:
    """The patients ``query`` names, at most ``query.limit``."""
    if query.patient_id is not None:
        if not query.patient_id.strip().isdigit():
            return []
        rows = db.fetchall("patient_search", _SELECT + " WHERE p.PatNum = ?",
                           (int(query.patient_id),))  # fmt: skip
    else:
        last, first = query.like_patterns()
        sql = (
            _SELECT + " WHERE LOWER(p.LName) LIKE ? ESCAPE '!' AND LOWER(p.FName) LIKE ? ESCAPE '!'"
        )
        params: list[Any] = [last, first]
        if query.birth_date is not None:
            sql += " AND p.Birthdate = ?"
            params.append(query.birth_date)
        rows = db.fetchall("patient_search", sql + _ORDER, params)
    return [_match(row) for row in rows[: query.limit]]


def _match(row: Any) -> PatientMatch:
    pat_num, guarantor, status, first, last, born = row
    if isinstance(born, dt.datetime):
        born = born.date()
    return PatientMatch(
        patient_id=str(pat_num),
        guarantor_id=str(guarantor or pat_num),
        status=PAT_STATUS.get(int(status), "inactive"),
        first_name=str(first or ""),
        last_name=str(last or ""),
        birth_date=None if born in (None, _NO_DATE) else born,
    )
