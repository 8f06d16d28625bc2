"""The parts ERA records share: a CAS adjustment and a failed balancing rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self

from connector.records import fields


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One CAS adjustment: group (CO/PR/OA/PI), reason code (CARC), amount and quantity.

    JSON: ``{"group": "CO", "reason": "45", "amount": "50.00", "quantity": null}``. The group
    is read upper case. A positive amount reduces the payment; a negative one increases it.
    """

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None

    @property
    def code(self) -> str:
        """``CO-45``: the form used in ``adjustment_mappings``."""
        return f"{self.group}-{self.reason}"

    def to_json(self) -> dict[str, Any]:
        """The adjustment as docs/payloads.md writes it."""
        return {
            "group": self.group,
            "reason": self.reason,
            "amount": str(self.amount),
            "quantity": fields.amount_text(self.quantity),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The adjustment in ``data``.

        Raises:
            DataError: a field is missing or malformed (code ``payload_invalid``).
        """
        return cls(
            group=fields.required_text(data, "group").upper(),
            reason=fields.required_text(data, "reason"),
            amount=fields.money(data, "amount"),
            quantity=fields.number(data, "quantity"),
        )


@dataclass(frozen=True, slots=True)
class BalanceProblem:
    """A balancing rule of the 835 that failed (docs/era.md), as stored with the item.

    ``message`` is the plain-words text the parser wrote; ``expected``/``found`` the amounts
    that disagree.
    """

    level: str
    rule: str
    segment: int
    segment_id: str
    element: str
    expected: Decimal
    found: Decimal
    patient_control: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """The problem as docs/payloads.md writes it."""
        return {
            "level": self.level,
            "rule": self.rule,
            "segment": self.segment,
            "segment_id": self.segment_id,
            "element": self.element,
            "expected": str(self.expected),
            "found": str(self.found),
            "patient_control": self.patient_control,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The problem in ``data``.

        Raises:
            DataError: a field is missing or malformed (code ``payload_invalid``).
        """
        segment = data.get("segment")
        if isinstance(segment, bool) or not isinstance(segment, int):
            raise fields.invalid("segment", "is not a segment number")
        return cls(
            level=fields.required_text(data, "level"),
            rule=fields.required_text(data, "rule"),
            segment=segment,
            segment_id=fields.stored_text(data, "segment_id") or "",
            element=fields.stored_text(data, "element") or "",
            expected=_required_number(data, "expected"),
            found=_required_number(data, "found"),
            patient_control=fields.stored_text(data, "patient_control"),
            message=fields.stored_text(data, "message") or "",
        )


def _required_number(data: Mapping[str, Any], name: str) -> Decimal:
    found = fields.number(data, name)
    if found is None:
        raise fields.invalid(name, "is missing")
    return found


def adjustments_from(data: Mapping[str, Any], name: str) -> tuple[Adjustment, ...]:
    """The list of adjustments under ``name`` (empty when absent)."""
    return tuple(Adjustment.from_json(raw) for raw in fields.records(data, name))


def problems_from(data: Mapping[str, Any]) -> tuple[BalanceProblem, ...]:
    """The ``balance_errors`` list (empty when absent)."""
    return tuple(BalanceProblem.from_json(raw) for raw in fields.records(data, "balance_errors"))
