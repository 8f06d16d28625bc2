"""The records of the kinds the poster derives (era_plb, deposit): stored JSON round-trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from connector import jsonutil
from connector.errors import DataError
from connector.records.deposit import EftDeposit, PayoutDeposit, deposit_record
from connector.records.era_plb import EraPlb

STORED_PLB: dict[str, Any] = {
    "remittance_key": "era:1999999999:EFT0001:580.00", "trace": "EFT0001",
    "payer_id": "1999999999", "payer_name": "DELTA DENTAL", "number": 1,
    "provider": "1999999976", "period_end": "2026-12-31", "reason": "WO", "reference": "P7001",
    "amount": "12.00",
}  # fmt: skip
STORED_PAYOUT_DEPOSIT: dict[str, Any] = {
    "payout": "po_1", "source": "stripe", "payout_arrival_date": "2026-11-20",
    "bank_amount": "121.07", "account": None,
}  # fmt: skip
STORED_EFT_DEPOSIT: dict[str, Any] = {
    "source": "era", "payer_id": "1999999999", "trace": "EFT0001",
    "payment_date": "2026-11-18", "remittances": ["era:1999999999:EFT0001:580.00"],
    "bank_amount": "580.00",
}  # fmt: skip


def test_plb_reads_and_round_trips() -> None:
    """An era_plb payload reads (Decimal amount, date) and writes back exactly."""
    plb = EraPlb.from_json(STORED_PLB)
    assert (plb.amount, plb.number) == (Decimal("12.00"), 1)
    assert plb.period_end == dt.date(2026, 12, 31)
    assert jsonutil.dumps(plb.to_json()) == jsonutil.dumps(STORED_PLB)


@pytest.mark.parametrize("field", ["reason", "amount"])
def test_plb_requires_reason_and_amount(field: str) -> None:
    """Without its reason code or amount a PLB cannot be posted: DataError naming the field."""
    with pytest.raises(DataError) as caught:
        EraPlb.from_json({**STORED_PLB, field: None})
    assert repr(field) in caught.value.message


def test_deposits_read_and_round_trip() -> None:
    """Both deposit forms read into their record (by ``source``) and write back exactly."""
    payout = deposit_record(STORED_PAYOUT_DEPOSIT)
    eft = deposit_record(STORED_EFT_DEPOSIT)
    assert isinstance(payout, PayoutDeposit) and payout.paid_on == dt.date(2026, 11, 20)
    assert isinstance(eft, EftDeposit) and eft.bank_amount == Decimal("580.00")
    assert jsonutil.dumps(payout.to_json()) == jsonutil.dumps(STORED_PAYOUT_DEPOSIT)
    assert jsonutil.dumps(eft.to_json()) == jsonutil.dumps(STORED_EFT_DEPOSIT)


STORED_SECONDARY: dict[str, Any] = {
    "primary_key": "era:1999999999:EFT0001:580.00:7001:P7001:1",
    "remittance_key": "era:1999999999:EFT0001:580.00", "patient_control": "7001",
    "payer_claim_control": "P7001", "claim_id": "55", "patient_id": "12",
    "payer_id": "1999999999", "payer_name": "DELTA DENTAL", "trace": "EFT0001",
    "payment_date": "2026-11-18", "charge": "200.00", "paid": "100.00", "writeoff": "20.00",
    "deductible": "50.00", "patient_portion": "80.00", "open_balance": "80.00",
    "lines": [{"proc_ref": "901", "code": "D2391", "date": "2026-10-01", "charge": "200.00",
               "paid": "100.00", "writeoff": "20.00", "deductible": "50.00", "patient": "30.00",
               "adjustments": [{"group": "CO", "reason": "45", "amount": "20.00"},
                               {"group": "PR", "reason": "1", "amount": "50.00"}],
               "remarks": ["N123"]}],
}  # fmt: skip


def test_secondary_claim_reads_and_round_trips() -> None:
    """An era_secondary payload reads (amounts as Decimal) and writes back exactly."""
    from connector.records.era_secondary import EraSecondary

    claim = EraSecondary.from_json(STORED_SECONDARY)
    assert claim.open_balance == Decimal("80.00") and claim.lines[0].adjustments[1].code == "PR-1"
    assert jsonutil.dumps(claim.to_json()) == jsonutil.dumps(STORED_SECONDARY)
