"""Reading patients, charges, types and claims from the emulated Dentrix G views."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from adapters.base import ChargeKind, ClaimMatch, PatientStatus
from adapters.dentrix.adapter import DentrixLedger
from adapters.dentrix.connection import DentrixConnector, StaticConnectionProvider
from adapters.dentrix.dialect import sqlite
from connector.domain import PatientNote
from tests.adapters.dentrix.conftest import TODAY, Db, payment

D = Decimal


@pytest.mark.parametrize(
    ("ref", "guarantor", "status", "plans"),
    [("1001", "1001", PatientStatus.ACTIVE, 0), ("1003", "1001", PatientStatus.ACTIVE, 2),
     ("1020", "1020", PatientStatus.INACTIVE, 0), ("1030", "1030", PatientStatus.NON_PATIENT, 0)],
)  # fmt: skip
def test_find_patient_maps_guarantor_status_and_plans(ledger: DentrixLedger, ref, guarantor,
                                                      status, plans):  # fmt: skip
    """v_patient rows become ids, a normalised status and the number of dental plans."""
    patient = ledger.find_patient(ref)
    assert patient is not None
    assert (patient.guarantor_id, patient.status, patient.insurance_plan_count) == (
        guarantor, status, plans,
    )  # fmt: skip


@pytest.mark.parametrize("ref", ["999999", "abc", "", "12; DROP TABLE x"])
def test_unknown_or_malformed_patient_is_none(ledger: DentrixLedger, ref: str):
    """Unknown ids and non-numeric references find no patient."""
    assert ledger.find_patient(ref) is None


def test_family_charges_apply_credits_oldest_first(ledger: DentrixLedger):
    """John's earlier 25.00 reduces his own exam; the rest are listed oldest first, procedures
    before the same-day finance charge."""
    patient = ledger.find_patient("1002")
    assert patient is not None
    charges = ledger.family_charges(patient)
    assert [(c.charge_ref, c.patient_id, c.amount_due) for c in charges] == [
        ("2001", "1001", D("40.00")), ("2002", "1002", D("120.00")), ("2003", "1002", D("70.00")),
        ("2009", "1001", D("15.00")), ("2004", "1003", D("85.00")), ("2005", "1003", D("180.00")),
    ]  # fmt: skip
    assert charges[3].kind is ChargeKind.ADJUSTMENT and charges[3].date == charges[2].date
    assert charges[0].code == "D0120" and charges[0].provider_id == "DDS1"


def test_debit_adjustment_becomes_an_open_adjustment_charge(ledger: DentrixLedger):
    """A refund (debit adjustment) is owed again and listed after procedures of its date."""
    from adapters.base import marker_for
    from connector.domain import ReversalPlan

    ledger.post_reversal(ReversalPlan("txn_rfd00001", marker_for("txn_rfd00001"), "txn_x", {},
                                      "1031", D("9.00"), TODAY - dt.timedelta(days=5), "refund",
                                      adjustment_type_id="10"))  # fmt: skip
    charges = ledger.family_charges(ledger.find_patient("1031"))  # type: ignore[arg-type]
    assert [(c.kind, c.amount_due) for c in charges] == [
        (ChargeKind.PROCEDURE, D("85.00")), (ChargeKind.ADJUSTMENT, D("9.00")),
    ]  # fmt: skip


def test_types_come_from_fulldef_with_signs(ledger: DentrixLedger):
    """Payment types are deftype 6; adjustment types are deftype 9 with the +/- prefix as sign."""
    assert [t.name for t in ledger.payment_types()] == [
        "Cash", "Check", "Credit Card", "Online Payment",
    ]  # fmt: skip
    signs = {t.name: t.sign for t in ledger.adjustment_types()}
    assert signs["Refund"] == "+" and signs["Ins Write-off"] == "-"


def test_ping_reports_the_data_version(ledger: DentrixLedger):
    """ping reads admin.options Data_Version."""
    info = ledger.ping()
    assert (info.vendor, info.version) == ("dentrix", "G7.5 (emulated)")


def test_find_claims_by_id_and_by_service_window(ledger: DentrixLedger):
    """A claim is found by its id, or by its earliest procedure date in the window (+ total,
    patient); an identifier that is not a claim id, or a payer claim number, finds nothing."""
    (by_id,) = ledger.find_claims(ClaimMatch(claim_identifier="5001"))
    assert [line.proc_ref for line in by_id.lines] == ["2002", "2003"]
    assert (by_id.total_fee, by_id.plan_count, by_id.received) == (D("190.00"), 1, False)
    assert by_id.carrier_name == "Delta Dental of Somewhere"
    (by_match,) = ledger.find_claims(ClaimMatch(
        patient_id="1003", service_from=TODAY - dt.timedelta(days=10),
        service_to=TODAY - dt.timedelta(days=10), total_charge=D("265.00")))  # fmt: skip
    assert by_match.claim_id == "5002" and by_match.has_secondary_plan
    wide = ClaimMatch(service_from=TODAY - dt.timedelta(days=45), service_to=TODAY)
    assert [c.claim_id for c in ledger.find_claims(wide)] == ["5001", "5002", "5003"]
    assert ledger.find_claims(ClaimMatch(claim_identifier="2/2")) == []
    assert ledger.find_claims(ClaimMatch(payer_claim_control="5001")) == []


def test_patient_note_is_a_contact_log_entry_written_once(ledger: DentrixLedger, db: Db):
    """A note becomes an admin.contact row with a notetype-49 note, and is not repeated."""
    when = dt.datetime(2026, 11, 20, 14, 30, tzinfo=dt.UTC)
    first = ledger.add_patient_note(PatientNote("1002", "Paid 40.00 online", when, "txn_n0000001"))
    again = ledger.add_patient_note(PatientNote("1002", "Paid 40.00 online", when, "txn_n0000001"))
    assert again == {"contactid": first["contactid"], "already_existed": True}
    (contact,) = db.rows("SELECT * FROM admin.contact")
    assert (contact["patid"], contact["contacttype"]) == (1002, 5)
    (note,) = db.rows("SELECT * FROM admin.fullnotes WHERE notetype = 49")
    assert note["noteid"] == contact["contactid"] and "Paid 40.00 online" in note["notetext"]


def test_identity_by_reread_matches_the_engine_identity(dentrix_db: str, db: Db):
    """The c-treeACE path (re-read the new row by its values) finds the same procid the
    engine assigned."""
    admin = db.admin
    from pathlib import Path

    connector = DentrixConnector(
        StaticConnectionProvider(dentrix_db), dialect=sqlite(Path(admin), reread_identity=True)
    )
    ledger = DentrixLedger(connector)
    entry = ledger.post_patient_payment(payment("txn_reread01", "1001", "5.00"))
    (procid,) = entry.pms_ids["procids"]
    assert db.count("SELECT MAX(procid) FROM admin.fullproclog") == procid
    (note,) = db.rows("SELECT noteid FROM admin.fullnotes WHERE notetype = 1")
    assert note["noteid"] == procid
    ledger.close()
