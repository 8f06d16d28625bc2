"""Patient search (``Ledger.search_patients``) for the SQL vendors, given each schema's query.

Dentrix (``admin.v_patient``) and Eaglesoft (``patient``) expose first and last names in the
views and tables we read; neither exposes a birth date column we have verified, so matches
carry ``birth_date=None`` and a birth-date filter is not applied (docs/vendors/*.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from adapters.patient_search import PatientMatch, PatientQuery
from adapters.pmssql.session import Tx


def search(
    tx: Tx,
    query: PatientQuery,
    *,
    by_id: str,
    by_name: str,
    to_match: Callable[[Mapping[str, Any]], PatientMatch],
) -> list[PatientMatch]:
    """Run ``by_id`` (one ``?``: the id) or ``by_name`` (two ``?``: last%, first%)."""
    if query.patient_id is not None:
        if not query.patient_id.strip().isdigit():
            return []
        rows = tx.rows(by_id, int(query.patient_id))
    else:
        rows = tx.rows(by_name, *query.like_patterns())
    return [to_match(row) for row in rows[: query.limit]]
