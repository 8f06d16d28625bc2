"""The fee-booking rule (``writeback.fees``) on the shipped in-memory ledger, which has no
merchant-fee field: ``merchant_fee`` falls back to the note, the payment stays gross."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from adapters.memory import MemoryLedger
from connector.config import WritebackSettings
from connector.domain import ItemKind, PatientPaymentPlan
from connector.posting.patient_payments import plan_patient_payment
from tests.posting.helpers import new_stripe, stored


def _plan(ledger: MemoryLedger, fees: str, fee: str = "3.93") -> PatientPaymentPlan:
    item = stored(new_stripe(ItemKind.PATIENT_PAYMENT, "txn_9", "125.00", fee=fee))
    plan = plan_patient_payment(
        item,
        WritebackSettings(fees=fees, allocation="post_only"),  # type: ignore[arg-type]
        ledger,
        tz=ZoneInfo("UTC"),
    )
    assert isinstance(plan, PatientPaymentPlan)
    return plan


@pytest.fixture
def ledger() -> MemoryLedger:
    mem = MemoryLedger()
    mem.add_patient("1")
    mem.add_type("10", "Online Payment", "payment")
    return mem


@pytest.mark.parametrize("fees", ["merchant_fee", "note"])
def test_fee_in_the_note_where_no_merchant_fee_field(ledger: MemoryLedger, fees: str) -> None:
    """No ``MerchantFees`` capability: the fee and its txn are named in the note."""
    plan = _plan(ledger, fees)
    assert plan.amount == Decimal("125.00") and plan.merchant_fee is None
    assert plan.note is not None and plan.note.endswith("processor fee 3.93 (txn_9)")


def test_none_and_zero_fee_book_nothing(ledger: MemoryLedger) -> None:
    """``none`` leaves the plan as it was; a payment without a fee has nothing to book."""
    assert "processor fee" not in (_plan(ledger, "none").note or "")
    assert "processor fee" not in (_plan(ledger, "note", fee="0.00").note or "")


def test_fees_setting_refuses_other_words() -> None:
    """A typo in ``writeback.fees`` is a configuration error, not silently ``none``."""
    with pytest.raises(ValueError, match="fees"):
        WritebackSettings(fees="merchant")  # type: ignore[arg-type]
