"""MAX+1 ids: a key taken by another writer is retried, never left half-written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyodbc
import pytest
from structlog.testing import capture_logs

from adapters.eaglesoft import mapping as m
from adapters.eaglesoft.adapter import EaglesoftLedger
from connector.errors import TransientError
from tests.adapters.eaglesoft.conftest import Db, payment

# Stands in for another workstation that took the same MAX(tran_num)+1 a moment earlier:
# a real competing row, so our insert hits a real primary-key violation in the engine.
RIVAL = """
CREATE TEMP TRIGGER rival_workstation BEFORE INSERT ON main.transactions_header
WHEN NEW.description NOT LIKE 'rival%'
BEGIN
  INSERT INTO transactions_header (tran_num, type, tran_date, resp_party_id, amount,
                                   description)
  VALUES (NEW.tran_num, 'A', NEW.tran_date, 110, -1, 'rival workstation');
END
"""


class RacingConnect:
    """pyodbc.connect, with the rival armed on the first ``armed`` connections."""

    def __init__(self, armed: int) -> None:
        self.armed = armed
        self.opened = 0

    def __call__(self, conn_str: str, **kwargs: Any) -> Any:
        conn = pyodbc.connect(conn_str, **kwargs)
        self.opened += 1
        if self.opened <= self.armed:
            conn.cursor().execute(RIVAL)
        return conn


def test_id_conflict_is_retried_with_a_fresh_id(make_ledger: Callable[..., EaglesoftLedger],
                                                db: Db):  # fmt: skip
    """The first attempt collides on tran_num; the whole write is rolled back and retried on a
    new connection, and exactly one payment with the next free number is written."""
    racing = RacingConnect(armed=1)
    ledger = make_ledger(connect=racing)
    with capture_logs() as logs:
        entry = ledger.post_patient_payment(payment("txn_race0001", "101", "20.00"))
    assert racing.opened == 2
    assert [e["event"] for e in logs] == ["pms.id_conflict.retry"]
    assert entry.pms_ids["tran_nums"] == [1013]
    marked = db.rows("SELECT tran_num FROM transactions_header WHERE description LIKE ?",
                     m.marker_pattern("txn_race0001"))  # fmt: skip
    assert marked == [{"tran_num": 1013}]
    assert db.count("SELECT COUNT(*) FROM transactions_header WHERE description LIKE 'rival%'") == 0
    assert db.count("SELECT COUNT(*) FROM transactions_detail WHERE tran_num = 1013") == 1


def test_a_conflict_that_persists_becomes_a_transient_error(
    make_ledger: Callable[..., EaglesoftLedger], db: Db
):
    """After three collisions the adapter gives up for now, having written nothing."""
    ledger = make_ledger(connect=RacingConnect(armed=99))
    headers = db.count("SELECT COUNT(*) FROM transactions_header")
    with pytest.raises(TransientError) as info:
        ledger.post_patient_payment(payment("txn_race0002", "101", "20.00"))
    assert info.value.code == "pms_key_conflict"
    assert db.count("SELECT COUNT(*) FROM transactions_header") == headers
    assert ledger.find_posting("txn_race0002") is None
