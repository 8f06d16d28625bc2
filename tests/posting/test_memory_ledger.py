"""The shipped MemoryLedger keeps the Ledger contract (errors, markers, claims, fixtures)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from adapters.base import ClaimMatch, Ledger, PatientStatus, marker_for
from adapters.memory import MemoryLedger
from adapters.registry import create_ledger
from connector.domain import AllocationMode, PatientNote, PatientPaymentPlan, Split
from connector.errors import ConfigError, DataError, PermanentError
from connector.redaction import Redactor

D = Decimal


def payment(
    amount: str = "50.00",
    splits: tuple[Split, ...] | None = None,
    *,
    type_id: str = "70",
    patient: str = "1",
) -> PatientPaymentPlan:
    splits = splits or (Split(D(amount), patient),)
    applied = any(split.charge_ref is not None for split in splits)
    return PatientPaymentPlan(
        external_ref="txn_9",
        marker=marker_for("txn_9"),
        patient_id=patient,
        amount=D(amount),
        date=dt.date(2026, 11, 18),
        payment_type_id=type_id,
        mode=AllocationMode.ALLOCATE_OLDEST_FIRST if applied else AllocationMode.POST_ONLY,
        splits=splits,
    )


def test_is_a_ledger_and_comes_from_the_registry() -> None:
    """The fake satisfies the runtime-checkable protocol and the registry builds it by name."""
    ledger = create_ledger(SimpleNamespace(vendor="memory"), practice_id="x", redactor=Redactor())
    assert isinstance(ledger, Ledger) and isinstance(ledger, MemoryLedger)
    assert ledger.ping().vendor == "memory"


def test_from_settings_loads_a_yaml_fixture(tmp_path: Path) -> None:
    """A fixture file gives patients, charges, types and claims; a bad one is a ConfigError."""
    fixture = tmp_path / "pms.yaml"
    fixture.write_text(
        "patients: [{id: 1, plans: 1}, {id: 2, guarantor: 1, status: archived}]\n"
        "charges: [{id: P1, patient: 2, date: 2026-01-05, amount: '80.00', code: D1110}]\n"
        "types: [{id: 70, name: Online Payment, category: payment}]\n"
        "claims: [{id: C1, patient: 1, identifier: CLM1, date: 2026-01-05,\n"
        "          lines: [{proc_ref: P1, code: D1110, fee: '80.00', expected: '64.00'}]}]\n",
        encoding="utf-8",
    )
    settings = SimpleNamespace(vendor="memory", fixture=fixture)
    ledger = MemoryLedger.from_settings(settings, practice_id="x", redactor=Redactor())
    guarantor = ledger.find_patient("1")
    assert guarantor is not None and guarantor.insurance_plan_count == 1
    assert [c.charge_ref for c in ledger.family_charges(guarantor)] == ["P1"]
    child = ledger.find_patient("2")
    assert child is not None and child.status is PatientStatus.ARCHIVED
    (claim,) = ledger.find_claims(ClaimMatch(claim_identifier="CLM1"))
    assert claim.total_fee == D("80.00")
    (tmp_path / "bad.yaml").write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        MemoryLedger.from_settings(
            SimpleNamespace(fixture=tmp_path / "bad.yaml"), practice_id="x", redactor=Redactor()
        )


def test_rejects_invalid_plans_with_contract_errors(led: MemoryLedger) -> None:
    """Splits that do not add up or an unknown type are permanent; a changed charge or a
    deleted patient are data errors; nothing is written for any of them."""
    led.add_charge("P1", patient="1", date="2026-01-01", amount="10.00")
    with pytest.raises(PermanentError):
        led.post_patient_payment(payment("50.00", (Split(D("40.00"), "1"),)))
    with pytest.raises(PermanentError):
        led.post_patient_payment(payment(type_id="80"))  # an insurance type
    with pytest.raises(DataError) as changed:
        led.post_patient_payment(payment("20.00", (Split(D("20.00"), "1", None, "P1"),)))
    assert changed.value.code == "charge_changed"
    led.add_patient("5", status="deleted")
    with pytest.raises(DataError):
        led.post_patient_payment(payment(patient="5"))
    assert led.payments == [] and led.charges["P1"].amount_due == D("10.00")


def test_find_posting_reads_the_marker_back(led: MemoryLedger) -> None:
    """After a write, find_posting returns the PMS ids for the key and nothing for others."""
    written = led.post_patient_payment(payment())
    found = led.find_posting("txn_9")
    assert found is not None and found.already_existed and found.pms_ids == written.pms_ids
    assert led.find_posting("txn_8") is None


def test_claim_lookup_is_exact_and_returns_every_fit(led: MemoryLedger) -> None:
    """A cut-down CLP01 names no claim (exact match, as the Open Dental adapter does); a
    service window returns every claim that fits, for the engine to judge."""
    lines = [{"proc_ref": "P", "code": "D1110", "fee": "90.00", "expected": "70.00"}]
    led.add_claim(
        "C1", patient="1", identifier="1234567890ABCDEF-1", date="2026-03-01", lines=lines
    )
    assert led.find_claims(ClaimMatch(claim_identifier="1234567890ABCDE")) == []
    by_service = ClaimMatch(service_from=dt.date(2026, 3, 1), total_charge=D("90.00"))
    assert [c.claim_id for c in led.find_claims(by_service)] == ["C1"]
    led.add_claim("C2", patient="3", identifier="X", date="2026-03-01", lines=lines)
    assert [c.claim_id for c in led.find_claims(by_service)] == ["C1", "C2"]


def test_notes_are_added_once_per_reference(led: MemoryLedger) -> None:
    """Adding the same note twice (a retry) returns the first note's id."""
    note = PatientNote("1", "paid", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), external_ref="txn_9")
    assert led.add_patient_note(note) == led.add_patient_note(note)
    assert len(led.notes) == 1
