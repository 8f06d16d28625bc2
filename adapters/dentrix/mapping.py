"""Dentrix rows ↔ connector records: patients, types, open charges, aging, claims.

Dentrix G keeps a balance-forward ledger per guarantor: credits are not linked to the
procedures they pay [V-doc: payments are split by provider, not by procedure]. Open charges
are therefore derived the way Dentrix's FIFO split method reads the ledger [V-doc: FIFO is one
of its split methods]: claim-linked credits pay that claim's procedures, a patient's other
credits pay that patient's oldest charges, and what is left pays the family's oldest charges.
Insurance estimates are not in the published views [U], so they are not subtracted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapters.base import ChargeKind, OpenCharge, PatientRecord, PatientStatus, PmsType
from connector.money import ZERO, to_money

PAYMENT_TYPES = 6  # [V-code] fulldef.deftype
ADJUSTMENT_TYPES = 9  # [V-code]
LEDGER_ENTRY = 90  # [V-code] chartstatus of payments and adjustments
COMPLETED = 102  # [V-code] chartstatus of completed procedures
CLASS_PAYMENT = 1  # [V-code] proclogclass with chartstatus 90
CLASS_ADJUSTMENT = 2  # [V-code]
CLASS_INSURANCE = 3  # [V-code, Enterprise reports]
NOTE_TRANSACTION = 1  # [V-code] fullnotes.notetype: note on a ledger row (noteid = procid)
NOTE_CONTACT = 49  # [V-code] note on an admin.contact row
CONTACT_TYPE_NOTE = 5  # [V-code] one integrator's contacttype for payment logs; meaning [U]

_STATUS = {
    1: PatientStatus.ACTIVE,  # [V-code] v_patient.status codes
    2: PatientStatus.NON_PATIENT,
    3: PatientStatus.INACTIVE,
    4: PatientStatus.INACTIVE,
}


def money(value: Any) -> Decimal:
    """A driver value (Decimal, str or — from SQLite — float text) as cents."""
    if value is None:
        return ZERO
    if isinstance(value, float):  # SQLite aggregates come back as float: round via text
        return to_money(repr(value))
    return to_money(value)


def ident(value: Any) -> str | None:
    """A PMS id as text; None/0/blank mean "none" in Dentrix."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ("", "0") else text


def patient_record(row: Mapping[str, Any]) -> PatientRecord:
    """A ``v_patient`` row as a :class:`PatientRecord` (ids only)."""
    plans = sum(1 for key in ("primdentalinsuredid", "secdentalinsuredid") if ident(row[key]))
    return PatientRecord(
        patient_id=str(row["patient_id"]),
        guarantor_id=str(row["guar_id"]),
        status=_STATUS.get(int(row["status"] or 0), PatientStatus.INACTIVE),
        provider_id=ident(row["pri_provider_id"]),
        insurance_plan_count=plans,
    )


def pms_type(row: Mapping[str, Any], category: str) -> PmsType:
    """A ``fulldef`` row; adjustment types carry their ``+``/``-`` prefix as the sign [V-doc]."""
    text = str(row["descript"] or "").strip()
    sign = None
    if category == "adjustment" and text[:1] in ("+", "-"):
        sign, text = text[0], text[1:].strip()
    return PmsType(id=str(row["defid"]), name=text, category=category, sign=sign)


@dataclass(frozen=True)
class LedgerRow:
    """One ``fullproclog`` row as the open-charge calculation needs it."""

    procid: int
    patid: int
    provid: str | None
    procdate: dt.date
    chartstatus: int
    proclogclass: int
    amt: Decimal
    claimid: int
    code: str | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> LedgerRow:
        """Build from a FAMILY_LEDGER row."""
        return cls(
            procid=int(row["procid"]),
            patid=int(row["patid"]),
            provid=ident(row["provid"]),
            procdate=as_date(row["procdate"]),
            chartstatus=int(row["chartstatus"]),
            proclogclass=int(row["proclogclass"] or 0),
            amt=money(row["amt"]),
            claimid=int(row["claimid"] or 0),
            code=(str(row["adacode"]).strip() or None) if row.get("adacode") else None,
        )

    @property
    def is_debit(self) -> bool:
        """A procedure or a debit adjustment: something the family owes."""
        if self.amt <= 0:
            return False
        return self.chartstatus == COMPLETED or (
            self.chartstatus == LEDGER_ENTRY and self.proclogclass == CLASS_ADJUSTMENT
        )

    @property
    def is_credit(self) -> bool:
        """A payment, credit adjustment or insurance payment."""
        return self.amt < 0 and self.chartstatus == LEDGER_ENTRY


def as_date(value: Any) -> dt.date:
    """Driver date/datetime/text as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def open_charges(rows: Iterable[LedgerRow]) -> list[OpenCharge]:
    """The family's charges still owed after FIFO application of its credits.

    Oldest first; procedures before adjustments on the same date; only amounts above zero.
    """
    rows = list(rows)
    debits = sorted(
        (r for r in rows if r.is_debit),
        key=lambda r: (r.procdate, r.chartstatus != COMPLETED, r.procid),
    )
    due = {r.procid: r.amt for r in debits}

    def pay(candidates: Iterable[LedgerRow], credit: Decimal) -> Decimal:
        for debit in candidates:
            if credit <= 0:
                break
            take = min(due[debit.procid], credit)
            due[debit.procid] -= take
            credit -= take
        return credit

    pool: dict[int, Decimal] = {}
    for credit in sorted((r for r in rows if r.is_credit), key=lambda r: (r.procdate, r.procid)):
        left = -credit.amt
        if credit.claimid:
            left = pay((d for d in debits if d.claimid == credit.claimid), left)
        pool[credit.patid] = pool.get(credit.patid, ZERO) + left
    leftover = ZERO
    for patid, left in pool.items():
        leftover += pay((d for d in debits if d.patid == patid), left)
    pay(debits, leftover)
    return [
        OpenCharge(
            charge_ref=str(d.procid),
            kind=ChargeKind.PROCEDURE if d.chartstatus == COMPLETED else ChargeKind.ADJUSTMENT,
            patient_id=str(d.patid),
            provider_id=d.provid,
            date=d.procdate,
            amount_due=due[d.procid],
            code=d.code,
        )
        for d in debits
        if due[d.procid] > 0
    ]


Buckets = tuple[Decimal, Decimal, Decimal, Decimal]  # 0-30, 31-60, 61-90, 91+


def aging_change(current: Buckets, change: Decimal) -> Buckets:
    """How each aging bucket moves when ``change`` is posted (credit < 0, debit > 0).

    A credit pays the oldest positive buckets first and leaves any rest as a credit balance in
    0-30; a debit is new, so it ages from 0-30 [I: how Dentrix's own aging treats new rows].
    Returns the *deltas*, so they can be applied relative to whatever is stored.
    """
    deltas = [ZERO, ZERO, ZERO, ZERO]
    if change >= 0:
        deltas[0] = change
        return (deltas[0], deltas[1], deltas[2], deltas[3])
    credit = -change
    for index in (3, 2, 1):
        take = min(max(current[index], ZERO), credit)
        deltas[index] -= take
        credit -= take
    deltas[0] -= credit
    return (deltas[0], deltas[1], deltas[2], deltas[3])
