"""Patient search for the staff console (``Ledger.search_patients``) over the read-only ODBC
connection: ``patient`` by the start of ``LName``/``FName`` and ``Birthdate``. Names and birth
dates are returned for display only (never logged: the query's parameters are not logged)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from adapters.opendental.db import ReadOnlyDb
from adapters.opendental.mapping import PAT_STATUS
from adapters.patient_search import PatientMatch, PatientQuery

_SELECT = "SELECT p.PatNum, p.Guarantor, p.PatStatus, p.FName, p.LName, p.Birthdate FROM patient p"
_ORDER = " ORDER BY p.LName, p.FName, p.PatNum"
_NO_DATE = dt.date(1, 1, 1)  # Open Dental's "no birth date"


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
