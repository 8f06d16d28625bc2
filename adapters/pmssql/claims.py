"""Claim lookup shared by the SQL adapters (Dentrix G, Eaglesoft): one criterion, every fit.

Both schemas answer ``Ledger.find_claims`` the same way and differ only in their queries and
column names, which each adapter passes in: CLP01 is the numeric claim id (an identifier that is
not a number names no claim), the service window is matched on the claim's earliest service,
the total fee and patient are checked when the criterion names them, and no payer claim
control number (CLP07) is stored that we know of [U], so that criterion finds nothing. The
matching rule itself (which criterion first, what one or several claims mean) is the posting
engine's (connector/posting/era_claims.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.base import MAX_CLAIMS, ClaimMatch, ClaimRecord
from adapters.pmssql.session import Tx


@dataclass(frozen=True)
class ClaimQueries:
    """One schema's claim queries and column names.

    Attributes:
        claim: one claim row by id (one parameter).
        served_between: claim ids whose earliest service is in a window (parameters: first,
            last, first).
        claim_id: the claim id column of both queries.
        patient_id: the patient id column of ``claim``.
    """

    claim: str
    served_between: str
    claim_id: str
    patient_id: str


def find_claims(
    tx: Tx,
    match: ClaimMatch,
    queries: ClaimQueries,
    record: Callable[[Tx, Mapping[str, Any]], ClaimRecord],
) -> list[ClaimRecord]:
    """The claims that fit ``match``'s one criterion, by claim id, at most ``MAX_CLAIMS``."""
    if match.claim_identifier is not None:
        ident = match.claim_identifier.strip()
        row = tx.one(queries.claim, int(ident)) if ident.isdigit() else None
        return [record(tx, row)] if row is not None else []
    if match.service_from is None:
        return []
    first, last = match.window
    found: list[ClaimRecord] = []
    for claim in tx.rows(queries.served_between, first, last, first):
        row = tx.one(queries.claim, int(claim[queries.claim_id]))
        if row is None or match.patient_id not in (None, str(row[queries.patient_id])):
            continue
        fitting = record(tx, row)
        if match.fits(fitting):
            found.append(fitting)
            if len(found) == MAX_CLAIMS:
                break
    return found
