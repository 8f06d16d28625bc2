"""What the connector wrote in Open Dental for one key, read back over ODBC by its marker.

Every row the connector writes carries the plan's marker (``PayNote`` of a payment, ``Note``
of an insurance check), so a posting whose answer was lost, or that a crash interrupted, is
found again here instead of being written twice.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, NamedTuple

from adapters.base import marker_for
from adapters.opendental import queries, remittance_check
from adapters.opendental.db import ReadOnlyDb
from connector.domain import PostedEntry
from connector.money import ZERO, total

# Appended to PayNote while an explicitly allocated payment still holds Open Dental's single
# prepayment split (between POST /payments and PUT /payments/{PayNum}/Partial).
EXPLICIT_TAG = "(explicit allocation)"


class Lookup(NamedTuple):
    """What :func:`find` found: the complete posting, if any, and whether nothing at all
    carries the key's marker (an unfinished explicit allocation is not ``absent``)."""

    entry: PostedEntry | None
    absent: bool


def find(db: ReadOnlyDb, external_ref: str, pat_num: int | None) -> Lookup:
    """A complete posting carrying this key's marker (see ``OpenDentalLedger.find_posting``).

    With ``pat_num`` only that patient's payments are read (the ``PatNum`` index); otherwise
    every payment note and insurance check note is scanned.
    """
    marks = (marker_for(external_ref), marker_for(external_ref, auto=True))
    if pat_num is not None:
        rows = db.fetchall(
            "patient_postings_by_marker",
            queries.PATIENT_POSTINGS_BY_MARKER,
            (pat_num, *marks),
        )
    else:
        rows = db.fetchall("postings_by_marker", queries.POSTINGS_BY_MARKER, (*marks, *marks))
    payments = [r for r in rows if r[0] == "payment"]
    checks = [r for r in rows if r[0] == "claimpayment"]
    if payments:
        # The oldest row is ours; a later negative copy with the same note is a refund
        # that post_reversal has not relabelled yet. Later rows of the same sign are the
        # same key written again: reported as duplicates.
        _kind, pay_num, _pat, amount, note = payments[0]
        splits = splits_of(db, int(pay_num))
        if EXPLICIT_TAG in str(note) and any(int(s[5]) for s in splits):
            return Lookup(None, absent=False)
        positive = Decimal(amount) >= ZERO
        again = tuple(
            {"PayNum": int(r[1]), "amount": Decimal(r[3])}
            for r in payments[1:]
            if (Decimal(r[3]) >= ZERO) == positive
        )
        entry = payment_entry(external_ref, int(pay_num), Decimal(amount), splits, True)
        return Lookup(dataclasses.replace(entry, duplicates=again), absent=False)
    on_check = (  # a claim posted onto its remittance's shared check (no patient hint)
        remittance_check.posted_claimprocs(db, external_ref)
        if pat_num is None and not payments and not checks
        else None
    )
    if on_check:
        return Lookup(
            PostedEntry(
                external_ref=external_ref,
                pms_ids={
                    "ClaimPaymentNum": int(on_check[0][2]),
                    "ClaimNum": int(on_check[0][1]),
                    "ClaimProcNums": [int(r[0]) for r in on_check],
                },
                amount=total(Decimal(r[3]) for r in on_check),
                already_existed=True,
                steps_done=("claimpayment",),
            ),
            absent=False,
        )
    if checks:
        _kind, check_num, _pat, amount, _note = checks[0]
        procs = db.fetchall(
            "claimprocs_of_claimpayment", queries.CLAIMPROCS_OF_CLAIMPAYMENT, (check_num,)
        )
        return Lookup(
            PostedEntry(
                external_ref=external_ref,
                pms_ids={
                    "ClaimPaymentNum": int(check_num),
                    "ClaimNum": int(procs[0][1]) if procs else None,
                    "ClaimProcNums": [int(p[0]) for p in procs],
                },
                amount=Decimal(amount),
                already_existed=True,
                steps_done=("claimpayment",),
                duplicates=tuple(
                    {"ClaimPaymentNum": int(r[1]), "amount": Decimal(r[3])} for r in checks[1:]
                ),
            ),
            absent=False,
        )
    return Lookup(None, absent=True)


def payment_entry(
    external_ref: str, pay_num: int, amount: Decimal, splits: list[Any], existed: bool
) -> PostedEntry:
    """The :class:`PostedEntry` of payment ``pay_num`` with its ``splits`` rows."""
    return PostedEntry(
        external_ref=external_ref,
        pms_ids={"PayNum": pay_num, "SplitNums": [int(s[0]) for s in splits]},
        amount=amount,
        already_existed=existed,
        steps_done=("payment",),
    )


def splits_of(db: ReadOnlyDb, pay_num: int) -> list[Any]:
    """Rows of ``queries.SPLITS_OF_PAYMENT`` for payment ``pay_num``."""
    return db.fetchall("splits_of_payment", queries.SPLITS_OF_PAYMENT, (pay_num,))


def marked_payment(
    db: ReadOnlyDb, marker: str, *, sign: int = 1, patient: int | None = None
) -> Any | None:
    """The oldest payment whose note carries ``marker`` with the given sign of PayAmt
    (only that patient's payments when ``patient`` is given: an indexed lookup)."""
    if patient is not None:
        rows = db.fetchall(
            "patient_payments_by_marker",
            queries.PATIENT_PAYMENTS_BY_MARKER,
            (patient, marker),
        )
    else:
        rows = db.fetchall(
            "postings_by_marker", queries.POSTINGS_BY_MARKER, (marker, marker, marker, marker)
        )
    for row in rows:
        if row[0] == "payment" and (Decimal(row[3]) >= ZERO) == (sign > 0):
            return row
    return None


def payment_ids(
    db: ReadOnlyDb, marker: str, *, sign: int = 1, patient: int | None = None
) -> dict[str, Any] | None:
    """``{"PayNum": …}`` of :func:`marked_payment`, or None."""
    row = marked_payment(db, marker, sign=sign, patient=patient)
    return {"PayNum": int(row[1])} if row is not None else None
