"""Dentrix patient search for the console: ``admin.v_patient`` by the start of the names.

``v_patient`` has ``first_name``/``last_name`` [V-code]; no birth date column we have verified,
so matches carry none (see :mod:`adapters.pmssql.patients`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.dentrix.mapping import _STATUS
from adapters.patient_search import PatientMatch, PatientQuery
from adapters.pmssql import patients
from adapters.pmssql.session import Tx

_SELECT = "SELECT patient_id, guar_id, status, first_name, last_name FROM admin.v_patient"
BY_ID = _SELECT + " WHERE patient_id = ?"
BY_NAME = (
    _SELECT + " WHERE LOWER(last_name) LIKE ? ESCAPE '!' AND LOWER(first_name) LIKE ? ESCAPE '!'"
    " ORDER BY last_name, first_name, patient_id"
)


def search(tx: Tx, query: PatientQuery) -> list[PatientMatch]:
    """The patients ``query`` names."""
    return patients.search(tx, query, by_id=BY_ID, by_name=BY_NAME, to_match=_match)


def _match(row: Mapping[str, Any]) -> PatientMatch:
    status = _STATUS.get(int(row["status"] or 0))
    return PatientMatch(
        patient_id=str(row["patient_id"]),
        guarantor_id=str(row["guar_id"] or row["patient_id"]),
        status=status.value if status else "inactive",
        first_name=str(row["first_name"] or "").strip(),
        last_name=str(row["last_name"] or "").strip(),
    )
