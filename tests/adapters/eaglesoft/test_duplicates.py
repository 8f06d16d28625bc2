"""A key written twice in Eaglesoft is reported; a copy staff deleted no longer counts."""

from __future__ import annotations

from adapters.base import marker_for
from adapters.eaglesoft.adapter import EaglesoftLedger
from connector.domain import ItemKind
from connector.store import SQLiteStore
from tests.adapters.eaglesoft.conftest import Db, payment
from tests.contract.eaglesoft_harness import EaglesoftHarness
from tests.posting.helpers import PRACTICE, new_stripe, record
from tests.posting.runner_support import run


def test_a_deleted_copy_is_no_duplicate(ledger: EaglesoftLedger, eaglesoft_db: str, db: Db):
    """A payment written, then copied (a second posting): reported with the copy's tran_num;
    once staff delete the copy (status 'D'), the key is found once again."""
    entry = ledger.post_patient_payment(payment("txn_dup_del", "101", "12.00"))
    EaglesoftHarness(eaglesoft_db).copy_posting(entry.pms_ids)
    found = ledger.find_posting("txn_dup_del")
    assert found is not None and found.pms_ids["tran_nums"] == entry.pms_ids["tran_nums"]
    (copy,) = found.duplicates
    assert (
        copy["tran_nums"] == [copy["tran_num"]]
        and copy["tran_num"] not in entry.pms_ids["tran_nums"]
    )
    db.rows("UPDATE transactions_header SET status = 'D' WHERE tran_num = ?", copy["tran_num"])
    again = ledger.find_posting("txn_dup_del")
    assert again is not None and again.duplicates == ()
    assert again.pms_ids["deleted_tran_nums"] == [copy["tran_num"]]


def test_the_engine_sends_a_key_written_twice_to_review(
    ledger: EaglesoftLedger, eaglesoft_db: str, store: SQLiteStore
):
    """The posting job finds the key on two postings: review ``duplicate_in_pms`` naming the
    tran_num to keep; nothing more is written."""
    entry = ledger.post_patient_payment(payment("txn_dup_engine", "101", "10.00"))
    harness = EaglesoftHarness(eaglesoft_db)
    harness.copy_posting(entry.pms_ids)
    record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_dup_engine", "10.00",
                             patient_ref="101"))  # type: ignore[arg-type]  # fmt: skip
    assert run(store, ledger)["review"] == 1  # type: ignore[arg-type]
    (review,) = store.list_reviews(PRACTICE)
    assert review.reason == "duplicate_in_pms" and "in the PMS 2 times" in review.message
    assert f"tran_num {entry.pms_ids['tran_nums'][0]}" in review.message
    assert harness.rows_with_marker(marker_for("txn_dup_engine")) == 2
