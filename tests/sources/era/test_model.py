"""Model: keys and payloads exactly as docs/payloads.md, no patient names, frozen objects."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from connector import jsonutil
from connector.redaction import REDACTED, Redactor
from connector.sources.era.parser import parse_file
from connector.sources.era.records import claim_record, remittance_record
from tests.sources.era.helpers import FILES

REMITTANCE_KEYS = {
    "file", "file_sha256", "interchange_control", "test", "trace", "payer_id", "payer_name",
    "payee_npi", "payee_tin", "amount", "credit_debit", "method", "payment_date", "plb",
    "balanced", "balance_errors", "warnings", "claim_keys",
}  # fmt: skip
CLAIM_KEYS = {
    "remittance_key", "test", "remittance_balanced", "trace", "payer_id", "payer_name", "method",
    "payment_date", "patient_control", "status", "charge", "paid", "patient_responsibility",
    "filing_indicator", "payer_claim_control", "frequency", "service_from", "service_to",
    "adjustments", "remarks", "balanced", "balance_errors", "warnings", "lines",
}  # fmt: skip
LINE_KEYS = {
    "qualifier", "code", "modifiers", "charge", "paid", "units", "original_code", "date",
    "line_ref", "adjustments", "remarks", "allowed",
}  # fmt: skip


def test_remittance_key_and_payload() -> None:
    """The remittance key is era:TRN03:TRN02:BPR02 (no date); the payload has the right keys."""
    [rem] = parse_file(FILES / "plb_multiple.835")
    assert rem.item_key == "era:1999999999:EFT0002:68.50"
    payload = remittance_record(rem).to_json()
    assert set(payload) == REMITTANCE_KEYS
    assert payload["amount"] == "68.50" and payload["payment_date"] == "2026-11-18"
    assert payload["payee_npi"] == "1999999976" and payload["payee_tin"] == "999999999"
    assert payload["plb"][1] == {"provider": "1999999976", "period_end": "2026-12-31",
                                 "reason": "L6", "reference": None, "amount": "-3.50"}  # fmt: skip
    assert payload["claim_keys"] == ["era:1999999999:EFT0002:68.50:2001:P2001:1"]
    assert len(payload["file_sha256"]) == 64
    json.dumps(payload)  # JSON-safe as is


def test_claim_payload_matches_the_contract() -> None:
    """Claim and line payloads carry the documented fields, amounts as strings."""
    [rem] = parse_file(FILES / "claim_statuses.835")
    claim = rem.claims[0]
    payload = claim_record(claim, rem).to_json()
    assert set(payload) == CLAIM_KEYS
    assert set(payload["lines"][0]) == LINE_KEYS
    assert payload["remittance_key"] == rem.item_key
    assert (payload["charge"], payload["paid"], payload["patient_responsibility"]) == (
        "200.00", "120.00", "30.00")  # fmt: skip
    assert payload["lines"][0] == {
        "qualifier": "AD", "code": "D1110", "modifiers": [], "charge": "120.00",
        "paid": "80.00", "units": "1", "original_code": None, "date": "2026-10-01",
        "line_ref": "1001-1", "allowed": "100.00", "remarks": [],
        "adjustments": [
            {"group": "CO", "reason": "45", "amount": "20.00", "quantity": None},
            {"group": "PR", "reason": "2", "amount": "20.00", "quantity": None},
        ],
    }  # fmt: skip
    assert payload["service_from"] == payload["service_to"] == "2026-10-01"


def test_payloads_and_repr_hold_no_patient_names_or_member_ids() -> None:
    """NM1 names and member ids stay out of payloads and repr, but reach the redactor."""
    [rem] = parse_file(FILES / "claim_statuses.835")
    text = jsonutil.dumps(
        [remittance_record(rem).to_json(), *(claim_record(c, rem).to_json() for c in rem.claims)]
    )
    text += repr(rem)
    for secret in ("PATIENTLAST", "PATIENTFIRST", "MEMBER0001"):
        assert secret not in text
    assert "PATIENTFIRST PATIENTLAST" in rem.patient_names()
    redactor = Redactor()
    redactor.register_names(*rem.patient_names())
    redactor.register_values(*rem.sensitive_values())
    assert redactor.scrub_text("PATIENTLAST MEMBER0001") == f"{REDACTED} {REDACTED}"


def test_test_flag_from_isa15() -> None:
    """ISA15 = T marks every remittance and claim payload as test data."""
    data = (FILES / "crlf.835").read_bytes().replace(b"*0*P*:~", b"*0*T*:~", 1)
    from tests.sources.era.helpers import parse_bytes

    [rem] = parse_bytes(data)
    assert rem.test and remittance_record(rem).to_json()["test"] is True
    assert claim_record(rem.claims[0], rem).to_json()["test"] is True


def test_model_is_frozen() -> None:
    """Parsed objects cannot be changed after the fact, nor given new attributes."""
    rem = parse_file(FILES / "claim_statuses.835")[0]
    records: list[object] = [rem, rem.envelope, rem.payer, *rem.plb]
    for claim in rem.claims:
        line_adjustments = [adj for line in claim.lines for adj in line.adjustments]
        records += [claim, *claim.lines, *claim.people, *claim.adjustments, *line_adjustments]
    assert {type(r).__name__ for r in records} >= {"ClaimPayment", "ServiceLine", "Adjustment"}
    for record in records:
        with pytest.raises(AttributeError):
            record.paid = Decimal("1")  # type: ignore[union-attr]
        assert not hasattr(record, "__dict__")  # no attribute can be added either


def test_leftover_compiled_modules_are_found(tmp_path: Path) -> None:
    """A .so left by the removed compiled build is named (importing the package refuses it)."""
    from connector.sources.era import stale_compiled_files

    (tmp_path / "claimloop.py").write_text("")
    assert stale_compiled_files(str(tmp_path)) == []
    (tmp_path / "claimloop.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    assert stale_compiled_files(str(tmp_path)) == ["claimloop.cpython-311-x86_64-linux-gnu.so"]
