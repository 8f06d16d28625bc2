"""Optional adapter capabilities for books that close: processor fees on payments.

These are separate from :class:`adapters.base.Ledger` so that an adapter without them still
satisfies the contract; the engine asks ``isinstance(ledger, MerchantFees)`` and falls back (a
note) when an adapter or the office's PMS version cannot book a fee.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class MerchantFees(Protocol):
    """Optional capability: a patient payment row that can carry the processor's fee."""

    def supports_merchant_fee(self) -> bool:
        """True when this office's PMS stores ``PatientPaymentPlan.merchant_fee`` on the
        payment row itself (Open Dental: ``payment.MerchantFee``, gated by version).

        Raises:
            TransientError: the PMS cannot be read now.
        """
