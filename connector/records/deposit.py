"""The ``deposit`` item's records: what reached the bank, as the poster derives it.

Two JSON forms (docs/posting.md "Deposits"): :class:`PayoutDeposit` (``"source": "stripe"``,
one paid Stripe payout) and :class:`EftDeposit` (``"source": "era"``, one insurance EFT: payer
+ TRN02, one or several remittances). :func:`deposit_record` picks the form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self

from connector.records import fields

STRIPE, ERA = "stripe", "era"


@dataclass(frozen=True, slots=True)
class PayoutDeposit:
    """The deposit of one paid Stripe payout (``bank_amount``: what the payout paid out)."""

    payout: str | None
    payout_arrival_date: dt.date | None
    bank_amount: Decimal | None
    account: str | None

    @property
    def paid_on(self) -> dt.date | None:
        """The day the money reached the bank: the payout's arrival date."""
        return self.payout_arrival_date

    def to_json(self) -> dict[str, Any]:
        """The payload the poster records."""
        return {
            "payout": self.payout,
            "source": STRIPE,
            "payout_arrival_date": fields.iso(self.payout_arrival_date),
            "bank_amount": fields.amount_text(self.bank_amount),
            "account": self.account,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The deposit in ``data``.

        Raises:
            DataError: a field is malformed (code ``payload_invalid``).
        """
        return cls(
            payout=fields.text(data, "payout"),
            payout_arrival_date=fields.date(data, "payout_arrival_date"),
            bank_amount=fields.optional_money(data, "bank_amount"),
            account=fields.stored_text(data, "account"),
        )


@dataclass(frozen=True, slots=True)
class EftDeposit:
    """The deposit of one insurance EFT: its remittances' keys and Σ BPR02."""

    payer_id: str | None
    trace: str
    payment_date: dt.date | None
    remittances: tuple[str, ...]
    bank_amount: Decimal | None

    @property
    def paid_on(self) -> dt.date | None:
        """The day the money reached the bank: BPR16 of the first remittance."""
        return self.payment_date

    def to_json(self) -> dict[str, Any]:
        """The payload the poster records."""
        return {
            "source": ERA,
            "payer_id": self.payer_id,
            "trace": self.trace,
            "payment_date": fields.iso(self.payment_date),
            "remittances": list(self.remittances),
            "bank_amount": fields.amount_text(self.bank_amount),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The deposit in ``data``.

        Raises:
            DataError: ``trace`` is missing, or a field is malformed (``payload_invalid``).
        """
        return cls(
            payer_id=fields.stored_text(data, "payer_id"),
            trace=fields.required_text(data, "trace"),
            payment_date=fields.date(data, "payment_date"),
            remittances=tuple(fields.strings(data, "remittances")),
            bank_amount=fields.optional_money(data, "bank_amount"),
        )


def deposit_record(data: Mapping[str, Any]) -> PayoutDeposit | EftDeposit:
    """The deposit in a ``deposit`` payload, in the form its ``source`` names.

    Raises:
        DataError: a field is malformed (code ``payload_invalid``).
    """
    if data.get("source") == ERA:
        return EftDeposit.from_json(data)
    return PayoutDeposit.from_json(data)
