"""Open Dental claims over ODBC: the claims an ERA claim may pay, and procedures on no claim."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from adapters.base import ClaimMatch, ClaimRecord, UnclaimedProcedure
from adapters.opendental import mapping, queries
from adapters.opendental.db import ReadOnlyDb


def find(db: ReadOnlyDb, match: ClaimMatch) -> list[ClaimRecord]:
    """Claims whose ClaimIdentifier is exactly CLP01, or whose DateService is in the window
    (with ClaimFee and PatNum when named); by ClaimNum.

    Open Dental stores no payer claim control number on a claim (``OrigRefNum`` is the
    *original's* number on a replacement claim [U]), so that criterion gives ``[]``.
    Open Dental's own ERA import also accepts a 15-character prefix of ClaimIdentifier
    (see docs/vendors/opendental.md, [U]); we match it exactly.
    """
    if match.claim_identifier is not None:
        rows = db.fetchall(
            "claims_by_identifier", queries.CLAIMS_BY_IDENTIFIER, (match.claim_identifier,)
        )
    elif match.service_from is not None:
        params: list[Any] = list(match.window)
        if match.patient_id is not None:
            pat_num = mapping.key(match.patient_id)
            if pat_num is None:
                return []
            params.append(pat_num)
        if match.total_charge is not None:
            params.append(match.total_charge)
        sql = queries.claims_in_window(
            by_patient=match.patient_id is not None, by_fee=match.total_charge is not None
        )
        rows = db.fetchall("claims_in_window", sql, params)
    else:
        return []
    return [
        mapping.claim_record(
            row, db.fetchall("claimprocs_of_claim", queries.CLAIMPROCS_OF_CLAIM, (row[0],))
        )
        for row in rows
    ]


def unclaimed(db: ReadOnlyDb, start: dt.date, end: dt.date) -> list[UnclaimedProcedure]:
    """Completed procedures of insured patients on no claim (see ``queries``)."""
    rows = db.fetchall("unclaimed_procedures", queries.UNCLAIMED_PROCEDURES, (start, end))
    return [
        UnclaimedProcedure(
            proc_ref=str(int(r[0])),
            patient_id=str(int(r[1])),
            date=mapping.as_date(r[2]),
            code=str(r[3] or ""),
            fee=Decimal(r[4]).quantize(Decimal("0.01")),
            provider_id=str(int(r[5])) if r[5] else None,
        )
        for r in rows
    ]
