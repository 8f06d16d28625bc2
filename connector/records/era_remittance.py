"""The ``era_remittance`` item's record: one ST…SE payment with its PLB adjustments.

Built by the ERA source from the parsed 835 (:mod:`connector.sources.era.records`), read by
the posting rules, deposits and reports through :meth:`EraRemittance.from_json`.
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
from connector.records.era_parts import BalanceProblem, problems_from


@dataclass(frozen=True, slots=True)
class ProviderAdjustment:
    """One PLB adjustment. A positive amount reduces the payment; a negative one adds to it.

    JSON: ``{"provider", "period_end", "reason", "reference", "amount"}``.
    """

    provider: str | None
    period_end: dt.date | None
    reason: str
    reference: str | None
    amount: Decimal

    def to_json(self) -> dict[str, Any]:
        """The adjustment as docs/payloads.md writes it."""
        return {
            "provider": self.provider,
            "period_end": fields.iso(self.period_end),
            "reason": self.reason,
            "reference": self.reference,
            "amount": str(self.amount),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The adjustment in ``data``.

        Raises:
            DataError: a field is missing or malformed (code ``payload_invalid``).
        """
        return cls(
            provider=fields.stored_text(data, "provider"),
            period_end=fields.date(data, "period_end"),
            reason=fields.required_text(data, "reason"),
            reference=fields.text(data, "reference"),
            amount=fields.money(data, "amount"),
        )


@dataclass(frozen=True, slots=True)
class EraRemittance:
    """One 835 transaction set (one check or EFT): ids, amount, verdict and PLB adjustments.

    ``amount`` is BPR02 as sent (never negative; ``credit_debit`` = ``D`` means the provider
    owes it); ``claim_keys`` the keys its claims were recorded under.
    """

    file: str | None
    file_sha256: str | None
    interchange_control: str | None
    test: bool
    trace: str
    payer_id: str | None
    payer_name: str | None
    payee_npi: str | None
    payee_tin: str | None
    amount: Decimal | None
    credit_debit: str | None
    method: str | None
    payment_date: dt.date | None
    plb: tuple[ProviderAdjustment, ...]
    balanced: bool
    balance_errors: tuple[BalanceProblem, ...]
    warnings: tuple[str, ...]
    claim_keys: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The remittance payload of docs/payloads.md (ids and amounts only)."""
        return {
            "file": self.file,
            "file_sha256": self.file_sha256,
            "interchange_control": self.interchange_control,
            "test": self.test,
            "trace": self.trace,
            "payer_id": self.payer_id,
            "payer_name": self.payer_name,
            "payee_npi": self.payee_npi,
            "payee_tin": self.payee_tin,
            "amount": fields.amount_text(self.amount),
            "credit_debit": self.credit_debit,
            "method": self.method,
            "payment_date": fields.iso(self.payment_date),
            "plb": [adj.to_json() for adj in self.plb],
            "balanced": self.balanced,
            "balance_errors": [err.to_json() for err in self.balance_errors],
            "warnings": list(self.warnings),
            "claim_keys": list(self.claim_keys),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The remittance in an ``era_remittance`` payload.

        Raises:
            DataError: a required field is missing or malformed (code ``payload_invalid``).
        """
        return cls(
            file=fields.stored_text(data, "file"),
            file_sha256=fields.stored_text(data, "file_sha256"),
            interchange_control=fields.stored_text(data, "interchange_control"),
            test=fields.flag(data, "test", default=False),
            trace=fields.required_text(data, "trace"),
            payer_id=fields.stored_text(data, "payer_id"),
            payer_name=fields.stored_text(data, "payer_name"),
            payee_npi=fields.stored_text(data, "payee_npi"),
            payee_tin=fields.stored_text(data, "payee_tin"),
            amount=fields.optional_money(data, "amount"),
            credit_debit=fields.stored_text(data, "credit_debit"),
            method=fields.stored_text(data, "method"),
            payment_date=fields.date(data, "payment_date"),
            plb=tuple(ProviderAdjustment.from_json(raw) for raw in fields.records(data, "plb")),
            balanced=fields.flag(data, "balanced", default=True),
            balance_errors=problems_from(data),
            warnings=tuple(fields.strings(data, "warnings")),
            claim_keys=tuple(fields.strings(data, "claim_keys")),
        )

    @classmethod
    def from_item(cls, item: Item) -> Self:
        """The remittance of a stored ``era_remittance`` item; a payload without ``amount``
        takes the item's amount.

        Raises:
            DataError: a required field is missing or malformed (code ``payload_invalid``).
        """
        remittance = cls.from_json(item.payload)
        if remittance.amount is None:
            remittance = replace(remittance, amount=item.amount)
        return remittance


def readable_remittance(item: Item) -> EraRemittance | None:
    """The remittance of an item, or None when its payload cannot be read (for reports and
    scans over many items, where one bad payload must not stop the rest)."""
    try:
        return EraRemittance.from_json(item.payload)
    except DataError:
        return None
