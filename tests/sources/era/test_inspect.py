"""``connector era inspect``: readable text, JSON, no patient names, no config needed."""

from __future__ import annotations

import json

import pytest

from connector.cli import main
from tests.sources.era.helpers import FILES


def test_inspect_text(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The text shows payment, payer, payee, claims with code meanings, PLB and the verdict."""
    monkeypatch.delenv("CONNECTOR_CONFIG", raising=False)
    assert main(["era", "inspect", str(FILES / "plb_multiple.835")]) == 0
    out = capsys.readouterr().out
    assert "68.50 credit to the practice" in out
    assert "ACME DENTAL PLAN" in out and "NPI 1999999976" in out
    assert "Claim 2001" in out and "AD:D1110" in out
    assert "CO-45" in out and "charge above the fee schedule" in out
    assert "interest owed" in out and "overpayment recovery" in out
    assert "Balancing:  OK" in out
    assert "PATIENTLAST" not in out and "MEMBER0001" not in out


def test_inspect_unbalanced_and_reversal(capsys: pytest.CaptureFixture[str]) -> None:
    """An unbalanced file prints NOT BALANCED with the segment; reversals are called out."""
    assert main(["era", "inspect", str(FILES / "unbalanced_claim.835")]) == 0
    out = capsys.readouterr().out
    assert "NOT BALANCED" in out and "segment 17 CLP04" in out
    assert main(["era", "inspect", str(FILES / "claim_statuses.835")]) == 0
    out = capsys.readouterr().out
    assert "REVERSAL" in out and "PREDETERMINATION" in out and "billed as D2392" in out


def test_inspect_json(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the remittance and claim payloads with their keys."""
    assert main(["era", "inspect", "--json", str(FILES / "multiple_envelopes.835")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["remittances"]) == 5
    first = doc["remittances"][0]
    assert first["key"] == "era:1999999999:CHK1001:50.00"
    assert first["claims"][0]["key"] == first["claim_keys"][0]
    assert "PATIENTLAST" not in json.dumps(doc)


def test_inspect_bad_file_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """A file that does not parse prints the located error and exits 1."""
    assert main(["era", "inspect", str(FILES / "wrong_se_count.835")]) == 1
    err = capsys.readouterr().err
    assert "x12_invalid" in err and "segment 21 SE SE01" in err
