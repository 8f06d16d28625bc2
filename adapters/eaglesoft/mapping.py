"""Eaglesoft rows ↔ connector records, and the compact marker that fits ``description``.

Eaglesoft uses line-item accounting [V-doc Patterson trainer blog]: a credit's detail line
names the debit it pays in ``applied_to`` (the debit's ``tran_num``) [V-code; semantics I];
unassigned credits (``applied_to`` NULL) pay nothing in particular. A charge's amount due is
its detail amount, less the credits applied to it, less the insurance estimate while its
claim is unpaid [I].
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from adapters.base import ChargeKind, OpenCharge, PatientRecord, PatientStatus, PmsType
from connector.money import ZERO, to_money

DESCRIPTION_MAX = 50  # [I] Adit truncates text written to Eaglesoft to 50 characters
TYPE_SERVICE, TYPE_CREDIT_ADJ, TYPE_DEBIT_ADJ = "S", "C", "D"  # [V-code]
TYPE_ACCOUNT_PAYMENT = "A"  # [V-code] Adit writes patient account payments as A; meaning [U]
TYPE_INSURANCE_PAYMENT = "I"  # [U] seen among payment-like letters; "I" = insurance is [I]
IMPACTS_COLLECTIONS = "C"  # [V-code]
USER_ID = "WBC"  # [U] the Eaglesoft user id our rows carry; users are 3 letters [I]
NOTE_CLASS, NOTE_TYPE, NOTE_TYPE_ID = "T", "G", 7  # [V-code] Adit's communication-log note

_STATUS = {"A": PatientStatus.ACTIVE, "I": PatientStatus.INACTIVE,  # [U] status letters
           "N": PatientStatus.NON_PATIENT, "D": PatientStatus.DELETED}  # fmt: skip
_TAIL = 8
_HASH = 6


def compact_marker(external_ref: str, *, auto: bool = False) -> str:
    """A short marker that survives Eaglesoft's 50-character ``description``.

    ``CX:`` (``AX:`` when auto-posted), the last 8 letters/digits of the key (so staff can
    search Stripe or the ERA by it) and 6 characters of the key's SHA-256 in base32:
    18 characters, unique in practice, with no LIKE wildcards in it.
    """
    tail = re.sub(r"[^A-Za-z0-9]", "", external_ref)[-_TAIL:]
    digest = base64.b32encode(hashlib.sha256(external_ref.encode("utf-8")).digest())
    return f"{'AX' if auto else 'CX'}:{tail}.{digest[:_HASH].decode('ascii').lower()}"


def marker_pattern(external_ref: str) -> str:
    """A LIKE pattern matching both the manual and the auto marker of ``external_ref``."""
    return "_X:" + compact_marker(external_ref)[3:] + "%"


def has_marker(description: str | None, external_ref: str) -> bool:
    """True when ``description`` starts with one of the key's markers (exact, case-sensitive)."""
    text = description or ""
    return any(text.startswith(compact_marker(external_ref, auto=auto)) for auto in (False, True))


def description(marker: str, text: str) -> str:
    """``marker`` then ``text``, cut to :data:`DESCRIPTION_MAX` (the marker always survives)."""
    return f"{marker} {text}".strip()[:DESCRIPTION_MAX]


def money(value: Any) -> Decimal:
    """A driver value (Decimal, str, or float from SQLite aggregates) as cents."""
    if value is None:
        return ZERO
    if isinstance(value, float):
        return to_money(repr(value))
    return to_money(value)


def ident(value: Any) -> str | None:
    """A PMS id as text; None/0/blank mean "none"."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ("", "0") else text


def as_date(value: Any) -> dt.date:
    """Driver date/datetime/text as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def patient_record(row: Mapping[str, Any]) -> PatientRecord:
    """A ``patient`` row (responsible party = guarantor) as a :class:`PatientRecord`."""
    plans = sum(1 for key in ("prim_employer_id", "sec_employer_id") if ident(row[key]))
    status = _STATUS.get(str(row["status"] or "").strip().upper(), PatientStatus.INACTIVE)
    return PatientRecord(
        patient_id=str(row["patient_id"]),
        guarantor_id=str(row["responsible_party"] or row["patient_id"]),
        status=status,
        provider_id=ident(row["preferred_dentist"]),
        clinic_id=ident(row["practice_id"]),
        insurance_plan_count=plans,
    )


def payment_type(row: Mapping[str, Any]) -> PmsType:
    """A ``paytype`` row; hidden when not shown on the payment screen."""
    return PmsType(
        id=str(row["paytype_id"]),
        name=str(row["description"] or "").strip(),
        category="payment",
        hidden=str(row["display_on_payment_screen"] or "Y").upper() == "N",
    )


def adjustment_type(row: Mapping[str, Any]) -> PmsType:
    """An ``adjustment_type`` row. Eaglesoft types have no sign: the transaction type (C or D)
    decides [V-code], so ``sign`` is None."""
    return PmsType(
        id=str(row["adjustment_type_id"]),
        name=str(row["description"] or "").strip(),
        category="adjustment",
    )


def open_charges(
    charges: Iterable[Mapping[str, Any]], applied: Mapping[int, Decimal]
) -> list[OpenCharge]:
    """Charges (FAMILY_CHARGES rows) less credits applied to them and pending estimates."""
    merged: dict[int, dict[str, Any]] = {}
    for row in charges:
        tran = int(row["tran_num"])
        entry = merged.setdefault(tran, {**row, "due": ZERO})
        entry["due"] += money(row["detail_amount"])
    result = []
    for tran, row in merged.items():
        due = row["due"] + applied.get(tran, ZERO)
        pending_claim = (
            row["claim_id"]
            and not (money(row["prim_total_paid"]) or money(row["sec_total_paid"]))
            and row["claim_exists"]
        )
        if pending_claim:
            due -= money(row["est_primary"]) + money(row["est_secondary"])
        if due > 0:
            result.append(
                OpenCharge(
                    charge_ref=str(tran),
                    kind=ChargeKind.PROCEDURE
                    if row["type"] == TYPE_SERVICE
                    else ChargeKind.ADJUSTMENT,
                    patient_id=str(row["patient_id"]),
                    provider_id=ident(row["provider_id"]),
                    date=as_date(row["tran_date"]),
                    amount_due=due,
                    code=ident(row["ada_code"]),
                    clinic_id=ident(row["practice_id"]),
                )
            )
    result.sort(key=lambda c: (c.date, c.kind is not ChargeKind.PROCEDURE, int(c.charge_ref)))
    return result
