"""Exactly once on Eaglesoft: crashes before or after the commit never duplicate a payment."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from adapters.eaglesoft.adapter import EaglesoftLedger
from connector.errors import TransientError
from tests.adapters.eaglesoft.conftest import Db, payment


def test_find_posting_after_a_crash_following_the_commit(
    make_ledger: Callable[..., EaglesoftLedger], db: Db
):
    """A restarted process finds the committed payment by its marker and does not repeat it."""
    first = make_ledger()
    posted = first.post_patient_payment(payment("txn_crash001", "102", "40.00"))
    first.close()
    restarted = make_ledger()
    found = restarted.find_posting("txn_crash001")
    assert found is not None and found.already_existed
    assert found.pms_ids["tran_nums"] == posted.pms_ids["tran_nums"]
    assert str(found.amount) == "40.00"
    count = db.count("SELECT COUNT(*) FROM transactions_detail")
    assert restarted.post_patient_payment(payment("txn_crash001", "102", "40.00")).already_existed
    assert db.count("SELECT COUNT(*) FROM transactions_detail") == count


def test_a_failure_inside_the_write_leaves_nothing_behind(ledger: EaglesoftLedger, db: Db):
    """A failure after the header but before the detail rolls everything back; the retry
    then posts exactly once."""
    db.rows("CREATE TABLE crash_switch (armed INTEGER)")
    db.rows("INSERT INTO crash_switch VALUES (1)")
    db.rows("CREATE TRIGGER crash_on_detail BEFORE INSERT ON transactions_detail "
            "WHEN EXISTS (SELECT 1 FROM crash_switch) "
            "BEGIN SELECT RAISE(ABORT, 'simulated crash'); END")  # fmt: skip
    headers = db.count("SELECT COUNT(*) FROM transactions_header")
    with pytest.raises(TransientError):
        ledger.post_patient_payment(payment("txn_crash002", "101", "15.00"))
    assert ledger.find_posting("txn_crash002") is None
    assert db.count("SELECT COUNT(*) FROM transactions_header") == headers
    db.rows("DELETE FROM crash_switch")
    assert not ledger.post_patient_payment(payment("txn_crash002", "101", "15.00")).already_existed
    assert db.count("SELECT COUNT(*) FROM transactions_header") == headers + 1
