"""The ``era_claim`` item's record: one CLP loop with its service lines (docs/payloads.md).

The ERA source builds an :class:`EraClaim` from the parsed 835
(:mod:`connector.sources.era.records`) and stores :meth:`EraClaim.to_json`; the posting rules
read it back with :meth:`EraClaim.from_json` (:meth:`EraClaim.from_item` for a stored item).
Text is kept as stored (``""`` stays ``""``), so a record written back gives the same JSON;
procedure codes are compared through :attr:`EraLine.procedure_code`, qualifier removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Self

from connector.domain import Item
from connector.errors import DataError
from connector.records import fields
from connector.records.era_parts import Adjustment, BalanceProblem, adjustments_from, problems_from
from connector.x12codes import normalize_code


@dataclass(frozen=True, slots=True)
class EraLine:
    """One SVC loop (2110) of a claim; ``index`` is its 1-based place (not stored)."""

    index: int
    qualifier: str | None
    code: str  # SVC01 as the payer adjudicated it, as stored
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    units: Decimal | None  # SVC05, 1 when the payer left it out
    original_code: str | None  # SVC06: the submitted code when the payer changed it
    date: dt.date | None
    line_ref: str | None  # REF*6R
    adjustments: tuple[Adjustment, ...]
    remarks: tuple[str, ...]
    allowed: Decimal | None = None  # AMT*B6

    @property
    def procedure_code(self) -> str:
        """The adjudicated code, qualifier removed, upper case (``D1110``)."""
        return normalize_code(self.code)

    @property
    def submitted_code(self) -> str:
        """The code the practice billed: SVC06 when present, else SVC01 (normalised)."""
        return normalize_code(self.original_code) if self.original_code else self.procedure_code

    def to_json(self) -> dict[str, Any]:
        """The line as docs/payloads.md writes it."""
        return {
            "qualifier": self.qualifier,
            "code": self.code,
            "modifiers": list(self.modifiers),
            "charge": str(self.charge),
            "paid": str(self.paid),
            "units": fields.amount_text(self.units),
            "original_code": self.original_code,
            "date": fields.iso(self.date),
            "line_ref": self.line_ref,
            "adjustments": [adj.to_json() for adj in self.adjustments],
            "remarks": list(self.remarks),
            "allowed": fields.amount_text(self.allowed),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, index: int = 1) -> Self:
        """The line in ``data`` (``index``: its place in the claim).

        Raises:
            DataError: a field is missing or malformed (code ``payload_invalid``).
        """
        return cls(
            index=index,
            qualifier=fields.stored_text(data, "qualifier"),
            code=fields.required_text(data, "code"),
            modifiers=tuple(fields.strings(data, "modifiers")),
            charge=fields.money(data, "charge"),
            paid=fields.money(data, "paid"),
            units=fields.number(data, "units"),
            original_code=fields.stored_text(data, "original_code"),
            date=fields.date(data, "date"),
            line_ref=fields.stored_text(data, "line_ref"),
            adjustments=adjustments_from(data, "adjustments"),
            remarks=tuple(fields.strings(data, "remarks")),
            allowed=fields.optional_money(data, "allowed"),
        )


@dataclass(frozen=True, slots=True)
class EraClaim:
    """One CLP loop (2100): the payer's decision on one claim, with its remittance's ids.

    ``remittance_balanced`` is the verdict of the whole remittance; ``balanced`` the claim's
    own (its lines and itself). Amounts are Decimal; names and member ids never appear.
    """

    remittance_key: str | None
    test: bool
    remittance_balanced: bool
    trace: str
    payer_id: str | None
    payer_name: str | None
    method: str | None
    payment_date: dt.date | None
    patient_control: str
    status: str  # CLP02, see connector.x12codes
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    filing_indicator: str | None
    payer_claim_control: str | None  # CLP07
    frequency: str | None
    service_from: dt.date | None
    service_to: dt.date | None
    adjustments: tuple[Adjustment, ...]
    remarks: tuple[str, ...]
    balanced: bool
    balance_errors: tuple[BalanceProblem, ...]
    warnings: tuple[str, ...]
    lines: tuple[EraLine, ...]

    def summary(self) -> dict[str, Any]:
        """Ids, codes and amounts for review details (no patient data exists here)."""
        return {
            "patient_control": self.patient_control,
            "payer_claim_control": self.payer_claim_control or None,
            "status": self.status,
            "payer_id": self.payer_id or None,
            "payer_name": self.payer_name or None,
            "trace": self.trace,
            "charge": self.charge,
            "paid": self.paid,
            "service_from": self.service_from,
        }

    def to_json(self) -> dict[str, Any]:
        """The claim payload of docs/payloads.md (ids and amounts only, no names)."""
        return {
            "remittance_key": self.remittance_key,
            "test": self.test,
            "remittance_balanced": self.remittance_balanced,
            "trace": self.trace,
            "payer_id": self.payer_id,
            "payer_name": self.payer_name,
            "method": self.method,
            "payment_date": fields.iso(self.payment_date),
            "patient_control": self.patient_control,
            "status": self.status,
            "charge": str(self.charge),
            "paid": str(self.paid),
            "patient_responsibility": fields.amount_text(self.patient_responsibility),
            "filing_indicator": self.filing_indicator,
            "payer_claim_control": self.payer_claim_control,
            "frequency": self.frequency,
            "service_from": fields.iso(self.service_from),
            "service_to": fields.iso(self.service_to),
            "adjustments": [adj.to_json() for adj in self.adjustments],
            "remarks": list(self.remarks),
            "balanced": self.balanced,
            "balance_errors": [err.to_json() for err in self.balance_errors],
            "warnings": list(self.warnings),
            "lines": [line.to_json() for line in self.lines],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The claim in an ``era_claim`` payload.

        Raises:
            DataError: a required field is missing or malformed (code ``payload_invalid``).
        """
        lines = fields.records(data, "lines")
        return cls(
            remittance_key=fields.text(data, "remittance_key"),
            test=fields.flag(data, "test", default=False),
            remittance_balanced=fields.flag(data, "remittance_balanced", default=True),
            trace=fields.required_text(data, "trace"),
            payer_id=fields.stored_text(data, "payer_id"),
            payer_name=fields.stored_text(data, "payer_name"),
            method=fields.stored_text(data, "method"),
            payment_date=fields.date(data, "payment_date"),
            patient_control=fields.required_text(data, "patient_control"),
            status=fields.required_text(data, "status"),
            charge=fields.money(data, "charge"),
            paid=fields.money(data, "paid"),
            patient_responsibility=fields.optional_money(data, "patient_responsibility"),
            filing_indicator=fields.stored_text(data, "filing_indicator"),
            payer_claim_control=fields.stored_text(data, "payer_claim_control"),
            frequency=fields.stored_text(data, "frequency"),
            service_from=fields.date(data, "service_from"),
            service_to=fields.date(data, "service_to"),
            adjustments=adjustments_from(data, "adjustments"),
            remarks=tuple(fields.strings(data, "remarks")),
            balanced=fields.flag(data, "balanced", default=True),
            balance_errors=problems_from(data),
            warnings=tuple(fields.strings(data, "warnings")),
            lines=tuple(EraLine.from_json(raw, index=n) for n, raw in enumerate(lines, 1)),
        )

    @classmethod
    def from_item(cls, item: Item) -> Self:
        """The claim of a stored ``era_claim`` item; a payload written without
        ``remittance_key`` takes the item's group key (the remittance's key).

        Raises:
            DataError: a required field is missing or malformed (code ``payload_invalid``).
        """
        claim = cls.from_json(item.payload)
        if not claim.remittance_key and item.group_key:
            claim = replace(claim, remittance_key=item.group_key)
        return claim


def readable_claim(item: Item) -> EraClaim | None:
    """The claim of an item, or None when its payload cannot be read (for reports and scans
    over many items, where one bad payload must not stop the rest)."""
    try:
        return EraClaim.from_json(item.payload)
    except DataError:
        return None
