"""Typed, read-only views of the ERA item payloads of docs/payloads.md.

The ERA source records remittances and claims as JSON payloads; the rules work on these
frozen records instead, so a missing or malformed field fails once, here, as a
:class:`~connector.errors.DataError` naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.domain import Item
from connector.money import ZERO
from connector.posting import fields

_QUALIFIER = re.compile(r"^(?:AD|HC)\s*[:>|^]\s*", re.IGNORECASE)

# CLP02 claim status codes (005010X221A1).
PRIMARY, SECONDARY, TERTIARY, DENIED = "1", "2", "3", "4"
PRIMARY_FORWARDED, SECONDARY_FORWARDED, TERTIARY_FORWARDED = "19", "20", "21"
REVERSAL, NOT_OUR_CLAIM, PREDETERMINATION = "22", "23", "25"
PROCESSED = frozenset(
    {PRIMARY, SECONDARY, TERTIARY, PRIMARY_FORWARDED, SECONDARY_FORWARDED, TERTIARY_FORWARDED}
)
FORWARDED = frozenset({PRIMARY_FORWARDED, SECONDARY_FORWARDED, TERTIARY_FORWARDED})


def normalize_code(code: str | None) -> str:
    """A procedure code without its ``AD:``/``HC:`` qualifier, upper case: ``ad:d1110`` → D1110."""
    return _QUALIFIER.sub("", (code or "").strip()).upper()


@dataclass(frozen=True)
class Adjustment:
    """One CAS adjustment: group (CO/PR/OA/PI), reason code (CARC) and amount."""

    group: str
    reason: str
    amount: Decimal

    @property
    def code(self) -> str:
        """``CO-45``: the form used in ``adjustment_mappings``."""
        return f"{self.group}-{self.reason}"


@dataclass(frozen=True)
class EraLine:
    """One SVC loop of a claim."""

    index: int
    code: str  # adjudicated code (SVC01), qualifier removed
    original_code: str | None  # submitted code (SVC06) when the payer changed it
    charge: Decimal
    paid: Decimal
    date: dt.date | None
    line_ref: str | None
    adjustments: tuple[Adjustment, ...]
    remarks: tuple[str, ...]
    allowed: Decimal | None = None  # AMT*B6

    @property
    def submitted_code(self) -> str:
        """The code the practice billed: SVC06 when present, else SVC01."""
        return self.original_code or self.code


@dataclass(frozen=True)
class EraClaim:
    """One CLP loop with what the posting rules need."""

    key: str
    remittance_key: str | None
    test: bool
    remittance_balanced: bool
    balanced: bool
    trace: str
    payer_id: str | None
    payer_name: str | None
    method: str | None
    payment_date: dt.date | None
    patient_control: str
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_control: str | None
    service_from: dt.date | None
    service_to: dt.date | None
    adjustments: tuple[Adjustment, ...]
    remarks: tuple[str, ...]
    lines: tuple[EraLine, ...]

    def summary(self) -> dict[str, Any]:
        """Ids, codes and amounts for review details (no patient data exists here)."""
        return {
            "patient_control": self.patient_control,
            "payer_claim_control": self.payer_claim_control,
            "status": self.status,
            "payer_id": self.payer_id,
            "payer_name": self.payer_name,
            "trace": self.trace,
            "charge": self.charge,
            "paid": self.paid,
            "service_from": self.service_from,
        }


def _adjustments(raw: list[Mapping[str, Any]]) -> tuple[Adjustment, ...]:
    return tuple(
        Adjustment(
            group=(fields.text(a, "group", required=True) or "").upper(),
            reason=fields.text(a, "reason", required=True) or "",
            amount=fields.money(a, "amount"),
        )
        for a in raw
    )


def _line(index: int, raw: Mapping[str, Any]) -> EraLine:
    original = fields.text(raw, "original_code")
    return EraLine(
        index=index,
        code=normalize_code(fields.text(raw, "code", required=True)),
        original_code=normalize_code(original) if original else None,
        charge=fields.money(raw, "charge"),
        paid=fields.money(raw, "paid"),
        date=fields.date(raw, "date"),
        line_ref=fields.text(raw, "line_ref"),
        adjustments=_adjustments(fields.records(raw, "adjustments")),
        remarks=tuple(fields.strings(raw, "remarks")),
        allowed=fields.money(raw, "allowed") if raw.get("allowed") not in (None, "") else None,
    )


def parse_claim(item: Item) -> EraClaim:
    """The claim in an ``era_claim`` item.

    Raises:
        DataError: a required field is missing or malformed (code ``payload_invalid``).
    """
    p = item.payload
    return EraClaim(
        key=item.key,
        remittance_key=fields.text(p, "remittance_key") or item.group_key,
        test=bool(p.get("test", False)),
        remittance_balanced=bool(p.get("remittance_balanced", True)),
        balanced=bool(p.get("balanced", True)),
        trace=fields.text(p, "trace", required=True) or "",
        payer_id=fields.text(p, "payer_id"),
        payer_name=fields.text(p, "payer_name"),
        method=fields.text(p, "method"),
        payment_date=fields.date(p, "payment_date"),
        patient_control=fields.text(p, "patient_control", required=True) or "",
        status=fields.text(p, "status", required=True) or "",
        charge=fields.money(p, "charge"),
        paid=fields.money(p, "paid"),
        patient_responsibility=fields.money(p, "patient_responsibility", default=ZERO),
        payer_claim_control=fields.text(p, "payer_claim_control"),
        service_from=fields.date(p, "service_from"),
        service_to=fields.date(p, "service_to"),
        adjustments=_adjustments(fields.records(p, "adjustments")),
        remarks=tuple(fields.strings(p, "remarks")),
        lines=tuple(_line(n, raw) for n, raw in enumerate(fields.records(p, "lines"), 1)),
    )


@dataclass(frozen=True)
class ProviderAdjustment:
    """One PLB adjustment. A positive amount reduces the payment; a negative one adds to it."""

    provider: str | None
    period_end: dt.date | None
    reason: str
    reference: str | None
    amount: Decimal


@dataclass(frozen=True)
class Remittance:
    """One ST…SE remittance (one check or EFT)."""

    key: str
    test: bool
    balanced: bool
    balance_errors: tuple[str, ...]
    trace: str
    payer_id: str | None
    payer_name: str | None
    amount: Decimal
    method: str | None
    payment_date: dt.date | None
    plb: tuple[ProviderAdjustment, ...]


def parse_remittance(item: Item) -> Remittance:
    """The remittance in an ``era_remittance`` item.

    Raises:
        DataError: a required field is missing or malformed (code ``payload_invalid``).
    """
    p = item.payload
    plb = tuple(
        ProviderAdjustment(
            provider=fields.text(raw, "provider"),
            period_end=fields.date(raw, "period_end"),
            reason=fields.text(raw, "reason", required=True) or "",
            reference=fields.text(raw, "reference"),
            amount=fields.money(raw, "amount"),
        )
        for raw in fields.records(p, "plb")
    )
    return Remittance(
        key=item.key,
        test=bool(p.get("test", False)),
        balanced=bool(p.get("balanced", True)),
        balance_errors=tuple(fields.strings(p, "balance_errors")),
        trace=fields.text(p, "trace", required=True) or "",
        payer_id=fields.text(p, "payer_id"),
        payer_name=fields.text(p, "payer_name"),
        amount=fields.money(p, "amount", default=item.amount),
        method=fields.text(p, "method"),
        payment_date=fields.date(p, "payment_date"),
        plb=plb,
    )
