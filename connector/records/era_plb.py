"""The ``era_plb`` item's record: one provider-level adjustment the poster derives from a
balanced remittance (docs/payloads.md), posted by its reason code's rule or reviewed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self

from connector.domain import Item
from connector.errors import DataError
from connector.records import fields


@dataclass(frozen=True, slots=True)
class EraPlb:
    """One PLB adjustment of a remittance, with the remittance's ids.

    ``number`` is its 1-based place in the remittance's ``plb``; a positive ``amount`` is
    money withheld from the practice (the item's own amount is its negative).
    """

    remittance_key: str | None
    trace: str | None
    payer_id: str | None
    payer_name: str | None
    number: int | None
    provider: str | None
    period_end: dt.date | None
    reason: str
    reference: str | None
    amount: Decimal

    def to_json(self) -> dict[str, Any]:
        """The payload of docs/payloads.md."""
        return {
            "remittance_key": self.remittance_key,
            "trace": self.trace,
            "payer_id": self.payer_id,
            "payer_name": self.payer_name,
            "number": self.number,
            "provider": self.provider,
            "period_end": fields.iso(self.period_end),
            "reason": self.reason,
            "reference": self.reference,
            "amount": str(self.amount),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The adjustment in an ``era_plb`` payload.

        Raises:
            DataError: ``reason`` or ``amount`` is missing, or a field is malformed
                (code ``payload_invalid``).
        """
        number = data.get("number")
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
            raise fields.invalid("number", "is not a whole number")
        return cls(
            remittance_key=fields.text(data, "remittance_key"),
            trace=fields.text(data, "trace"),
            payer_id=fields.text(data, "payer_id"),
            payer_name=fields.text(data, "payer_name"),
            number=number,
            provider=fields.text(data, "provider"),
            period_end=fields.date(data, "period_end"),
            reason=fields.required_text(data, "reason"),
            reference=fields.text(data, "reference"),
            amount=fields.money(data, "amount"),
        )


def readable_plb(item: Item) -> EraPlb | None:
    """The adjustment of an item, or None when its payload cannot be read (for reports)."""
    try:
        return EraPlb.from_json(item.payload)
    except DataError:
        return None
