"""Eaglesoft stamps from the injected clock in the practice's time zone (never the machine's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from adapters.eaglesoft.adapter import EaglesoftLedger
from adapters.registry import create_ledger
from connector.clock import FixedClock
from connector.config.pms import EaglesoftPms
from connector.domain import PatientNote
from connector.redaction import Redactor
from tests.adapters.eaglesoft.conftest import Db

ZONE = "Pacific/Honolulu"
MOMENT = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)  # 2026-11-19 17:00 in Honolulu
LOCAL = dt.datetime(2026, 11, 19, 17, 0)


def test_the_registry_hands_the_clock_and_zone_to_the_adapter(eaglesoft_db: str, monkeypatch):
    """create_ledger(…, clock=, timezone=) builds a ledger whose "now" is the practice's."""
    monkeypatch.setenv("ES_ODBC", eaglesoft_db)
    settings = EaglesoftPms.model_validate(
        {"vendor": "eaglesoft", "odbc": {"connection_string": {"env": "ES_ODBC"}}}
    )
    ledger = create_ledger(
        settings, practice_id="p1", redactor=Redactor(), clock=FixedClock(MOMENT), timezone=ZONE
    )
    try:
        assert isinstance(ledger, EaglesoftLedger) and ledger.clock() == LOCAL
    finally:
        ledger.close()


def test_a_note_is_stamped_and_timed_in_the_practice_zone(
    make_ledger: Callable[..., EaglesoftLedger], db: Db
):
    """A note's freshness is the practice's "now"; a note time with a zone is stored as the
    practice's wall-clock time, not the server's."""
    ledger = make_ledger(clock=FixedClock(MOMENT), timezone=ZONE)
    ids = ledger.add_patient_note(PatientNote("101", "Paid 12.00.", MOMENT, "txn_clock_n"))
    (row,) = db.rows("SELECT date_entered, freshness FROM operatory_notes WHERE note_id = ?",
                     ids["note_id"])  # fmt: skip
    assert (row["date_entered"], row["freshness"]) == (LOCAL, LOCAL)
