"""Optional adapter capabilities for books that close: processor fees on payments, deposits.

These are separate from :class:`adapters.base.Ledger` so that an adapter without them still
satisfies the contract; the engine asks ``isinstance(ledger, MerchantFees)`` and falls back (a
note) when an adapter or the office's PMS version cannot book a fee.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from connector.domain import DepositPlan, PostedEntry


@runtime_checkable
class MerchantFees(Protocol):
    """Optional capability: a patient payment row that can carry the processor's fee."""

    def supports_merchant_fee(self) -> bool:
        """True when this office's PMS stores ``PatientPaymentPlan.merchant_fee`` on the
        payment row itself (Open Dental: ``payment.MerchantFee``, gated by version).

        Raises:
            TransientError: the PMS cannot be read now.
        """


@runtime_checkable
class Deposits(Protocol):
    """Optional capability: a deposit (deposit slip) in the PMS through a sanctioned write.

    Implemented where the vendor has one (Open Dental ``POST /deposits``, version-gated); the
    engine prints the deposit slip in ``report deposits`` for the others.
    """

    def supports_deposits(self) -> bool:
        """True when this office's PMS version takes the deposit write.

        Raises:
            TransientError: the PMS cannot be read now.
        """

    def post_deposit(self, plan: DepositPlan) -> PostedEntry:
        """Write the deposit once: a deposit already carrying ``plan.marker`` is returned
        (``already_existed``) instead of writing a second, so a crash between the PMS write and
        the store update heals on the next run.

        Raises:
            DataError: a grouped posting is gone or already on another deposit.
            PermanentError: the PMS refused the deposit. TransientError, AuthError.
        """
