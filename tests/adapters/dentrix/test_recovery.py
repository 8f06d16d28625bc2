"""Exactly once on Dentrix: a crash before or after the commit never duplicates a payment."""

from __future__ import annotations

import pytest

from adapters.dentrix.adapter import DentrixLedger
from adapters.dentrix.connection import DentrixConnector, StaticConnectionProvider
from connector.errors import TransientError
from tests.adapters.dentrix.conftest import Db, payment

CRASH_TRIGGER = """
CREATE TRIGGER admin.crash_on_note BEFORE INSERT ON fullnotes
WHEN EXISTS (SELECT 1 FROM crash_switch)
BEGIN SELECT RAISE(ABORT, 'simulated crash while writing the note'); END
"""


def test_find_posting_after_a_crash_following_the_commit(dentrix_db: str, db: Db):
    """If the process dies after Dentrix committed but before our store did, a new process
    finds the posting by its marker and does not write it again."""
    first = DentrixLedger(DentrixConnector(StaticConnectionProvider(dentrix_db)))
    posted = first.post_patient_payment(payment("txn_crash001", "1002", "40.00"))
    first.close()  # the process "dies" here; our store never heard of the posting

    restarted = DentrixLedger(DentrixConnector(StaticConnectionProvider(dentrix_db)))
    found = restarted.find_posting("txn_crash001")
    assert found is not None and found.already_existed
    assert found.pms_ids["procids"] == posted.pms_ids["procids"]
    assert str(found.amount) == "40.00"
    count = db.count("SELECT COUNT(*) FROM admin.fullproclog")
    again = restarted.post_patient_payment(payment("txn_crash001", "1002", "40.00"))
    assert again.already_existed
    assert db.count("SELECT COUNT(*) FROM admin.fullproclog") == count
    restarted.close()


def test_a_failure_inside_the_write_leaves_nothing_behind(ledger: DentrixLedger, db: Db):
    """A failure after the ledger row but before its note rolls the whole posting back, so
    find_posting sees nothing and the retry posts exactly once."""
    db.rows("CREATE TABLE admin.crash_switch (armed INTEGER)")
    db.rows("INSERT INTO admin.crash_switch VALUES (1)")
    db.rows(CRASH_TRIGGER)
    rows_before = db.count("SELECT COUNT(*) FROM admin.fullproclog")
    aging_before = db.aging(1001)

    with pytest.raises(TransientError):
        ledger.post_patient_payment(payment("txn_crash002", "1001", "15.00"))
    assert ledger.find_posting("txn_crash002") is None
    assert db.count("SELECT COUNT(*) FROM admin.fullproclog") == rows_before
    assert db.aging(1001) == aging_before

    db.rows("DELETE FROM admin.crash_switch")
    entry = ledger.post_patient_payment(payment("txn_crash002", "1001", "15.00"))
    assert not entry.already_existed
    assert db.count("SELECT COUNT(*) FROM admin.fullproclog") == rows_before + 1
