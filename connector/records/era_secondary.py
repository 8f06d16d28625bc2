"""The ``era_secondary`` item's record: the secondary claim staff send after the poster posted
a primary payment (docs/payloads.md), built by :mod:`connector.posting.era_secondary`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self

from connector.records import fields
from connector.records.era_parts import Adjustment, adjustments_from


@dataclass(frozen=True, slots=True)
class SecondaryLine:
    """One procedure of the secondary claim: what the primary paid, wrote off and left."""

    proc_ref: str | None
    code: str | None
    date: dt.date | None
    charge: Decimal
    paid: Decimal
    writeoff: Decimal
    deductible: Decimal
    patient: Decimal
    adjustments: tuple[Adjustment, ...]  # JSON without ``quantity``
    remarks: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The line as docs/payloads.md writes it."""
        return {
            "proc_ref": self.proc_ref,
            "code": self.code,
            "date": fields.iso(self.date),
            "charge": str(self.charge),
            "paid": str(self.paid),
            "writeoff": str(self.writeoff),
            "deductible": str(self.deductible),
            "patient": str(self.patient),
            "adjustments": [
                {"group": a.group, "reason": a.reason, "amount": str(a.amount)}
                for a in self.adjustments
            ],
            "remarks": list(self.remarks),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The line in ``data``.

        Raises:
            DataError: a field is missing or malformed (code ``payload_invalid``).
        """
        return cls(
            proc_ref=fields.stored_text(data, "proc_ref"),
            code=fields.stored_text(data, "code"),
            date=fields.date(data, "date"),
            charge=fields.money(data, "charge"),
            paid=fields.money(data, "paid"),
            writeoff=fields.money(data, "writeoff"),
            deductible=fields.money(data, "deductible"),
            patient=fields.money(data, "patient"),
            adjustments=adjustments_from(data, "adjustments"),
            remarks=tuple(fields.strings(data, "remarks")),
        )


@dataclass(frozen=True, slots=True)
class EraSecondary:
    """The secondary claim of a posted primary claim (``primary_key``): its PMS claim and
    patient, the primary payer's payment, and the per-procedure amounts."""

    primary_key: str | None
    remittance_key: str | None
    patient_control: str
    payer_claim_control: str | None
    claim_id: str
    patient_id: str | None
    payer_id: str | None
    payer_name: str | None
    trace: str | None
    payment_date: dt.date | None
    charge: Decimal
    paid: Decimal
    writeoff: Decimal
    deductible: Decimal
    patient_portion: Decimal
    open_balance: Decimal
    lines: tuple[SecondaryLine, ...]

    def to_json(self) -> dict[str, Any]:
        """The payload of docs/payloads.md."""
        return {
            "primary_key": self.primary_key,
            "remittance_key": self.remittance_key,
            "patient_control": self.patient_control,
            "payer_claim_control": self.payer_claim_control,
            "claim_id": self.claim_id,
            "patient_id": self.patient_id,
            "payer_id": self.payer_id,
            "payer_name": self.payer_name,
            "trace": self.trace,
            "payment_date": fields.iso(self.payment_date),
            "charge": str(self.charge),
            "paid": str(self.paid),
            "writeoff": str(self.writeoff),
            "deductible": str(self.deductible),
            "patient_portion": str(self.patient_portion),
            "open_balance": str(self.open_balance),
            "lines": [line.to_json() for line in self.lines],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The secondary claim in an ``era_secondary`` payload.

        Raises:
            DataError: a required field is missing or malformed (code ``payload_invalid``).
        """
        return cls(
            primary_key=fields.text(data, "primary_key"),
            remittance_key=fields.text(data, "remittance_key"),
            patient_control=fields.required_text(data, "patient_control"),
            payer_claim_control=fields.text(data, "payer_claim_control"),
            claim_id=fields.required_text(data, "claim_id"),
            patient_id=fields.text(data, "patient_id"),
            payer_id=fields.text(data, "payer_id"),
            payer_name=fields.text(data, "payer_name"),
            trace=fields.text(data, "trace"),
            payment_date=fields.date(data, "payment_date"),
            charge=fields.money(data, "charge"),
            paid=fields.money(data, "paid"),
            writeoff=fields.money(data, "writeoff"),
            deductible=fields.money(data, "deductible"),
            patient_portion=fields.money(data, "patient_portion"),
            open_balance=fields.money(data, "open_balance"),
            lines=tuple(SecondaryLine.from_json(raw) for raw in fields.records(data, "lines")),
        )
