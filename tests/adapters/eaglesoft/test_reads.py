"""Reading patients, charges, types, claims and notes from the emulated Eaglesoft tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from adapters.base import ClaimMatch, PatientStatus
from adapters.eaglesoft.adapter import EaglesoftLedger
from connector.domain import PatientNote
from tests.adapters.eaglesoft.conftest import TODAY, Db

D = Decimal


@pytest.mark.parametrize(
    ("ref", "guarantor", "status", "plans"),
    [("101", "101", PatientStatus.ACTIVE, 0), ("103", "101", PatientStatus.ACTIVE, 2),
     ("120", "120", PatientStatus.INACTIVE, 0), ("130", "130", PatientStatus.NON_PATIENT, 0)],
)  # fmt: skip
def test_find_patient_maps_responsible_party_status_and_plans(
    ledger: EaglesoftLedger, ref, guarantor, status, plans
):
    """The responsible party is the guarantor; employers count as plans."""
    patient = ledger.find_patient(ref)
    assert patient is not None
    assert (patient.guarantor_id, patient.status, patient.insurance_plan_count) == (
        guarantor, status, plans,
    )  # fmt: skip


@pytest.mark.parametrize("ref", ["999", "x1", ""])
def test_unknown_patient_is_none(ledger: EaglesoftLedger, ref: str):
    """Unknown or malformed references find nobody."""
    assert ledger.find_patient(ref) is None


def test_family_charges_subtract_applied_credits_and_pending_estimates(ledger: EaglesoftLedger):
    """John's exam less the 25.00 applied to it; Mary's and Tim's services less their
    insurance estimates while the claims are unpaid; oldest first, the finance charge after
    the procedures of its day."""
    charges = ledger.family_charges(ledger.find_patient("101"))  # type: ignore[arg-type]
    assert [(c.charge_ref, c.patient_id, c.amount_due, c.code) for c in charges] == [
        ("1001", "101", D("40.00"), "D0120"), ("1002", "102", D("24.00"), "D1110"),
        ("1003", "102", D("14.00"), "D0274"), ("1011", "101", D("15.00"), None),
        ("1004", "103", D("17.00"), "D1120"), ("1005", "103", D("14.00"), "D0274"),
        ("1006", "103", D("180.00"), "D2391"),
    ]  # fmt: skip


def test_payment_and_adjustment_types(ledger: EaglesoftLedger):
    """paytype rows (hidden when not on the payment screen) and unsigned adjustment types."""
    types = {t.name: t for t in ledger.payment_types()}
    assert types["Online Payment"].id == "4" and not types["Online Payment"].hidden
    assert types["Insurance EFT"].hidden
    adjustments = {t.name: t for t in ledger.adjustment_types()}
    assert adjustments["Refund"].id == "10" and adjustments["Refund"].sign is None


def test_ping_reports_the_version(ledger: EaglesoftLedger):
    """ping reads system_preferences.version."""
    info = ledger.ping()
    assert (info.version, info.detail["write_authentication"]) == ("21.20 (emulated)", True)


def test_find_claims_by_id_and_by_service_window(ledger: EaglesoftLedger):
    """A claim by id carries its services with estimates; by service window (+ total, patient)
    every claim that fits comes back; a payer claim number finds nothing."""
    (claim,) = ledger.find_claims(ClaimMatch(claim_identifier="501"))
    assert [(line.proc_ref, line.fee, line.expected_insurance) for line in claim.lines] == [
        ("1002", D("120.00"), D("96.00")), ("1003", D("70.00"), D("56.00")),
    ]  # fmt: skip
    assert (claim.total_fee, claim.received, claim.carrier_name) == (
        D("190.00"), False, "Delta Dental of Somewhere",
    )  # fmt: skip
    window = {"service_from": TODAY - dt.timedelta(days=45), "service_to": TODAY}
    (by_facts,) = ledger.find_claims(
        ClaimMatch(patient_id="103", total_charge=D("155.00"), **window)
    )
    assert by_facts.claim_id == "502" and by_facts.has_secondary_plan
    assert [c.claim_id for c in ledger.find_claims(ClaimMatch(**window))] == ["501", "502", "503"]
    assert ledger.find_claims(ClaimMatch(payer_claim_control="501")) == []


def test_patient_note_goes_to_operatory_notes_once(ledger: EaglesoftLedger, db: Db):
    """A note is a communication-log row in operatory_notes with the marker, written once."""
    when = dt.datetime.combine(TODAY, dt.time(15, 5))
    first = ledger.add_patient_note(PatientNote("102", "Paid 40.00 online", when, "txn_note0001"))
    again = ledger.add_patient_note(PatientNote("102", "Paid 40.00 online", when, "txn_note0001"))
    assert again == {**first, "already_existed": True}
    (row,) = db.rows("SELECT * FROM operatory_notes")
    assert (row["patient_id"], row["resp_party_id"], row["note_type"], row["note_type_id"]) == (
        102, 101, "G", 7,
    )  # fmt: skip
    assert row["note"] == "[connector txn_note0001] Paid 40.00 online"
    assert row["description"].startswith("CX:")
