"""Dentrix stamps from the injected clock in the practice's time zone (never the machine's)."""

from __future__ import annotations

import datetime as dt

from adapters.dentrix.adapter import DentrixLedger
from adapters.dentrix.connection import DentrixConnector, StaticConnectionProvider
from adapters.registry import create_ledger
from connector.clock import FixedClock
from connector.config.pms import DentrixPms
from connector.domain import PatientNote
from connector.redaction import Redactor
from tests.adapters.dentrix.conftest import Db, payment

ZONE = "Pacific/Honolulu"
MOMENT = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)  # 2026-11-19 17:00 in Honolulu
LOCAL = dt.datetime(2026, 11, 19, 17, 0)


def _ledger(dentrix_db: str) -> DentrixLedger:
    connector = DentrixConnector(StaticConnectionProvider(dentrix_db))
    return DentrixLedger(connector, clock=FixedClock(MOMENT), timezone=ZONE)


def test_the_registry_hands_the_clock_and_zone_to_the_adapter(dentrix_db: str, monkeypatch):
    """create_ledger(…, clock=, timezone=) builds a ledger whose "now" is the practice's."""
    monkeypatch.setenv("DTX_ODBC", dentrix_db)
    settings = DentrixPms.model_validate(
        {"vendor": "dentrix", "odbc": {"connection_string": {"env": "DTX_ODBC"}}}
    )
    ledger = create_ledger(
        settings, practice_id="p1", redactor=Redactor(), clock=FixedClock(MOMENT), timezone=ZONE
    )
    try:
        assert isinstance(ledger, DentrixLedger) and ledger.clock() == LOCAL
    finally:
        ledger.close()


def test_a_new_aging_row_is_dated_the_practice_day(dentrix_db: str, db: Db):
    """A guarantor without an aging row gets one dated the practice's day (19 Nov in Honolulu
    while it is already 20 Nov in UTC); the payment row's createdate is the practice time."""
    db.rows("DELETE FROM admin.aging WHERE guarid = 1001")
    ledger = _ledger(dentrix_db)
    try:
        entry = ledger.post_patient_payment(payment("txn_clock_aging", "1001", "12.00"))
    finally:
        ledger.close()
    assert db.aging(1001)["agingdate"] == LOCAL.date()
    (row,) = db.rows("SELECT createdate FROM admin.fullproclog WHERE procid = ?",
                     entry.pms_ids["procids"][0])  # fmt: skip
    assert row["createdate"] == LOCAL


def test_an_aware_note_time_is_the_practice_wall_clock(dentrix_db: str, db: Db):
    """A note time with a zone is stored as the practice's wall-clock time, not the server's."""
    ledger = _ledger(dentrix_db)
    try:
        ids = ledger.add_patient_note(PatientNote("1001", "Paid 12.00.", MOMENT, "txn_clock_n"))
    finally:
        ledger.close()
    (row,) = db.rows("SELECT contactdate, contacttime FROM admin.contact WHERE contactid = ?",
                     ids["contactid"])  # fmt: skip
    assert (row["contactdate"], str(row["contacttime"])) == (LOCAL.date(), "17:00:00")
