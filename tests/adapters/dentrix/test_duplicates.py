"""A key written twice in Dentrix is reported; a copy staff deleted no longer counts."""

from __future__ import annotations

from adapters.base import marker_for
from adapters.dentrix.adapter import DentrixLedger
from connector.domain import ItemKind
from connector.store import SQLiteStore
from tests.adapters.dentrix.conftest import Db, payment
from tests.contract.dentrix_harness import DentrixHarness
from tests.posting.helpers import PRACTICE, new_stripe, record
from tests.posting.runner_support import run


def test_a_deleted_copy_is_no_duplicate(ledger: DentrixLedger, dentrix_db: str, db: Db):
    """Two members' rows written, then copied (a second posting): reported with the copy's
    procids; once staff delete the copy's ledger rows, the key is found once again."""
    plan = payment("txn_dup_del", "1001", "30.00", [("10.00", "1001", None),
                                                   ("20.00", "1002", None)])  # fmt: skip
    entry = ledger.post_patient_payment(plan)
    DentrixHarness(dentrix_db).copy_posting(entry.pms_ids)
    found = ledger.find_posting("txn_dup_del")
    assert found is not None and found.pms_ids["procids"] == entry.pms_ids["procids"]
    (copy,) = found.duplicates
    assert len(copy["procids"]) == len(entry.pms_ids["procids"])
    assert (
        copy["procid"] == copy["procids"][0]
        and found.pms_ids["procid"] == entry.pms_ids["procids"][0]
    )
    for procid in copy["procids"]:
        db.rows("DELETE FROM admin.fullproclog WHERE procid = ?", procid)
    again = ledger.find_posting("txn_dup_del")
    assert again is not None and again.duplicates == ()
    assert again.pms_ids["procids"] == entry.pms_ids["procids"]
    assert again.pms_ids["deleted_procids"] == copy["procids"]


def test_the_engine_sends_a_key_written_twice_to_review(
    ledger: DentrixLedger, dentrix_db: str, store: SQLiteStore
):
    """The posting job finds the key on two postings: review ``duplicate_in_pms`` naming the
    procid to keep; nothing more is written."""
    entry = ledger.post_patient_payment(payment("txn_dup_engine", "1001", "10.00"))
    harness = DentrixHarness(dentrix_db)
    harness.copy_posting(entry.pms_ids)
    record(store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_dup_engine", "10.00",
                             patient_ref="1001"))  # type: ignore[arg-type]  # fmt: skip
    assert run(store, ledger)["review"] == 1  # type: ignore[arg-type]
    (review,) = store.list_reviews(PRACTICE)
    assert review.reason == "duplicate_in_pms" and "in the PMS 2 times" in review.message
    assert f"procid {entry.pms_ids['procids'][0]}" in review.message
    assert harness.rows_with_marker(marker_for("txn_dup_engine")) == 2
