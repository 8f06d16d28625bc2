"""ERA records: today's stored JSON reads, and writes back exactly; bad fields are named."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from connector import jsonutil
from connector.errors import DataError
from connector.records.era import EraClaim
from connector.records.era_remittance import EraRemittance
from connector.sources.era.parser import parse_file
from connector.sources.era.records import claim_record, remittance_record
from tests.sources.era.helpers import FILES

# An era_claim payload exactly as releases before the records stored it (docs/payloads.md).
STORED_CLAIM: dict[str, Any] = {
    "remittance_key": "era:1999999999:EFT0001:580.00", "test": False,
    "remittance_balanced": True, "trace": "EFT0001", "payer_id": "1999999999",
    "payer_name": "DELTA DENTAL", "method": "ACH", "payment_date": "2026-11-18",
    "patient_control": "7001", "status": "1", "charge": "250.00", "paid": "180.00",
    "patient_responsibility": "20.00", "filing_indicator": "12", "payer_claim_control": "P7001",
    "frequency": "", "service_from": "2026-10-01", "service_to": "2026-10-02",
    "adjustments": [{"group": "CO", "reason": "45", "amount": "50.00", "quantity": None}],
    "remarks": ["N123"], "balanced": False,
    "balance_errors": [{
        "level": "claim", "rule": "claim_balance", "segment": 17, "segment_id": "CLP",
        "element": "CLP04", "expected": "160.00", "found": "150.00", "patient_control": "7001",
        "message": "claim 7001 segment 17 CLP04: claim charge minus claim and line adjustments "
                   "is 160.00, but the file says 150.00 (off by -10.00)"}],
    "warnings": ["CLP05 20.00 is not the sum of the PR adjustments"],
    "lines": [{
        "qualifier": "AD", "code": "D1110", "modifiers": [], "charge": "120.00",
        "paid": "90.00", "units": "1", "original_code": None, "date": "2026-10-01",
        "line_ref": "1001-1",
        "adjustments": [{"group": "CO", "reason": "45", "amount": "30.00", "quantity": "1"}],
        "remarks": ["N123"], "allowed": "90.00"},
        {"qualifier": "AD", "code": "D0120", "modifiers": ["X"], "charge": "130.00",
         "paid": "90.00", "units": "2.5", "original_code": "AD:d0150", "date": "2026-10-02",
         "line_ref": None, "adjustments": [], "remarks": [], "allowed": None}],
}  # fmt: skip
STORED_REMITTANCE: dict[str, Any] = {
    "file": "name.835", "file_sha256": "ab" * 32, "interchange_control": "000000001",
    "test": False, "trace": "EFT0001", "payer_id": "1999999999", "payer_name": "DELTA DENTAL",
    "payee_npi": "1999999976", "payee_tin": None, "amount": "580.00", "credit_debit": "C",
    "method": "ACH", "payment_date": "2026-11-18",
    "plb": [{"provider": "1999999976", "period_end": "2026-12-31", "reason": "WO",
             "reference": "P7001", "amount": "-12.00"},
            {"provider": "1999999976", "period_end": None, "reason": "L6", "reference": None,
             "amount": "3.50"}],
    "balanced": True, "balance_errors": [], "warnings": [],
    "claim_keys": ["era:1999999999:EFT0001:580.00:7001:P7001:1"],
}  # fmt: skip


def _text(payload: dict[str, Any]) -> str:
    return jsonutil.dumps(payload)


def test_claim_reads_todays_stored_form() -> None:
    """A stored era_claim payload reads into typed fields: Decimals, dates, tuples."""
    claim = EraClaim.from_json(STORED_CLAIM)
    assert (claim.charge, claim.paid) == (Decimal("250.00"), Decimal("180.00"))
    assert claim.payment_date == dt.date(2026, 11, 18)
    assert claim.adjustments[0].code == "CO-45" and not claim.balanced
    assert claim.balance_errors[0].found == Decimal("150.00")
    first, second = claim.lines
    assert (first.index, second.index) == (1, 2)
    assert first.procedure_code == "D1110" and second.submitted_code == "D0150"
    assert second.units == Decimal("2.5") and first.adjustments[0].quantity == Decimal("1")


def test_claim_round_trips_exactly() -> None:
    """from_json then to_json gives the stored JSON back, key order included."""
    assert _text(EraClaim.from_json(STORED_CLAIM).to_json()) == _text(STORED_CLAIM)


def test_remittance_reads_and_round_trips() -> None:
    """A stored era_remittance payload reads (PLB amounts as Decimal) and writes back exactly."""
    remittance = EraRemittance.from_json(STORED_REMITTANCE)
    assert remittance.plb[0].amount == Decimal("-12.00") and remittance.plb[1].reference is None
    assert remittance.claim_keys == ("era:1999999999:EFT0001:580.00:7001:P7001:1",)
    assert _text(remittance.to_json()) == _text(STORED_REMITTANCE)


@pytest.mark.parametrize("name", ["claim_statuses.835", "plb_multiple.835", "unbalanced_claim.835"])
def test_parsed_files_round_trip(name: str) -> None:
    """What the ERA source writes for a parsed file reads back into an equal record."""
    for rem in parse_file(FILES / name):
        record = remittance_record(rem)
        stored = json.loads(_text(record.to_json()))
        assert EraRemittance.from_json(stored) == record
        for claim in rem.claims:
            built = claim_record(claim, rem)
            again = EraClaim.from_json(json.loads(_text(built.to_json())))
            assert again == built and _text(again.to_json()) == _text(built.to_json())


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ((), ("charge", 1.5), "charge"),
        ((), ("trace", None), "trace"),
        (("lines", 0), ("code", ""), "code"),
        (("adjustments", 0), ("amount", "x"), "amount"),
        ((), ("lines", "nope"), "lines"),
        (("balance_errors", 0), ("segment", "17"), "segment"),
    ],
)
def test_bad_field_is_named(path: tuple[Any, ...], value: tuple[str, Any], field: str) -> None:
    """A malformed or missing field raises DataError (payload_invalid) naming the field."""
    data = copy.deepcopy(STORED_CLAIM)
    target: Any = data
    for step in path:
        target = target[step]
    target[value[0]] = value[1]
    with pytest.raises(DataError) as caught:
        EraClaim.from_json(data)
    assert caught.value.code == "payload_invalid" and repr(field) in caught.value.message


def test_remittance_without_amount_takes_the_items() -> None:
    """Legacy reading: a remittance payload without ``amount`` takes the item's amount; a claim
    without ``remittance_key`` its group key."""
    from tests.posting.helpers import new_claim, remittance_payload, stored

    item = remittance_payload(amount="42.00")
    del item.payload["amount"]
    assert EraRemittance.from_item(stored(item)).amount == Decimal("42.00")
    claim = new_claim({**STORED_CLAIM})
    del claim.payload["remittance_key"]
    assert EraClaim.from_item(stored(claim)).remittance_key == claim.group_key
