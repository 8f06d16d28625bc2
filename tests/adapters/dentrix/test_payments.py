"""Patient payments and reversals written to the emulated Dentrix G ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.base import marker_for
from adapters.dentrix.adapter import DentrixLedger
from connector.domain import AllocationMode, ReversalPlan
from connector.errors import DataError, PermanentError
from tests.adapters.dentrix.conftest import TODAY, Db, payment

D = Decimal


def ledger_rows(db: Db, procids: list[int]) -> list[dict[str, object]]:
    marks = ",".join("?" * len(procids))
    return db.rows(
        f"SELECT * FROM admin.fullproclog WHERE procid IN ({marks}) ORDER BY procid", *procids
    )


def test_family_payment_lands_on_member_and_moves_guarantor_aging(ledger: DentrixLedger, db: Db):
    """A payment for a child is a class-1 row on the child with the guarantor's id, and the
    guarantor's aging loses the amount from its oldest buckets."""
    before = db.aging(1001)
    other_before = db.aging(1010)
    entry = ledger.post_patient_payment(payment("txn_family01", "1003", "100.00"))

    rows = ledger_rows(db, entry.pms_ids["procids"])
    assert [(r["patid"], r["guarid"], r["chartstatus"], r["proclogclass"], r["proclogorder"])
            for r in rows] == [(1003, 1001, 90, 1, 4)]  # fmt: skip
    assert D(str(rows[0]["amt"])) == D("-100")
    assert rows[0]["procdate"] == TODAY
    assert rows[0]["provid"] == "HYG1"  # Tim's primary provider in post-only mode
    after = db.aging(1001)
    # 61-90 (John's 40.00) is paid first, then 31-60 (Mary's 190.00) takes the remaining 60.00.
    assert after["aging61to90"] == before["aging61to90"] - D("40.00")
    assert after["aging31to60"] == before["aging31to60"] - D("60.00")
    assert after["aging0to30"] == before["aging0to30"]
    assert (after["lastpaydate"], after["lastpayamt"]) == (TODAY, D("100.00"))
    assert db.aging(1010) == other_before


def test_payment_note_carries_marker_and_reference(ledger: DentrixLedger, db: Db):
    """Each payment row gets a notetype-1 note (noteid = procid) starting with the marker."""
    entry = ledger.post_patient_payment(payment("txn_note0001", "1001", "10.00"))
    (procid,) = entry.pms_ids["procids"]
    (note,) = db.rows("SELECT * FROM admin.fullnotes WHERE notetype = 1 AND noteid = ?", procid)
    assert note["notetext"].startswith(marker_for("txn_note0001"))
    assert "ch_3PxTestte0001" in note["notetext"]


def test_allocate_mode_writes_one_row_per_patient_and_provider(ledger: DentrixLedger, db: Db):
    """Splits on Mary's hygienist charges and John's dentist charge give two rows, each
    crediting the charge's provider, and the open charges shrink accordingly."""
    plan = payment(
        "txn_alloc001", "1002", "150.00",
        [("120.00", "1002", "2002"), ("20.00", "1002", "2003"), ("10.00", "1001", "2001")],
    )  # fmt: skip
    entry = ledger.post_patient_payment(plan)

    rows = ledger_rows(db, entry.pms_ids["procids"])
    got = sorted((r["patid"], r["provid"], D(str(r["amt"]))) for r in rows)
    assert got == [(1001, "DDS1", D("-10")), (1002, "HYG1", D("-140"))]
    open_due = {
        c.charge_ref: c.amount_due for c in ledger.family_charges(ledger.find_patient("1002"))
    }  # type: ignore[arg-type]
    assert open_due["2001"] == D("30.00")
    assert "2002" not in open_due
    assert open_due["2003"] == D("50.00")


def test_post_only_writes_a_single_row(ledger: DentrixLedger, db: Db):
    """Post-only mode writes exactly one ledger row for the whole amount."""
    entry = ledger.post_patient_payment(
        payment("txn_postonly", "1010", "75.00", mode=AllocationMode.POST_ONLY)
    )
    rows = ledger_rows(db, entry.pms_ids["procids"])
    assert [(r["patid"], r["provid"], D(str(r["amt"]))) for r in rows] == [(1010, "DDS2", D("-75"))]


def test_refund_is_a_debit_adjustment_not_a_negative_payment(ledger: DentrixLedger, db: Db):
    """A refund is a class-2 row with the '+' type and a positive amount, noted with both
    markers, and the guarantor's 0-30 bucket grows by it."""
    original = ledger.post_patient_payment(payment("txn_orig0001", "1002", "50.00"))
    before = db.aging(1001)
    plan = ReversalPlan(
        external_ref="txn_refund01",
        marker=marker_for("txn_refund01"),
        original_external_ref="txn_orig0001",
        original_pms_ids=original.pms_ids,
        patient_id="1002",
        amount=D("20.00"),
        date=TODAY,
        reason="refund",
        adjustment_type_id="10",
    )
    entry = ledger.post_reversal(plan)

    (row,) = ledger_rows(db, entry.pms_ids["procids"])
    assert (row["chartstatus"], row["proclogclass"], row["proclogorder"]) == (90, 2, 10)
    assert D(str(row["amt"])) == D("20")
    assert row["provid"] == "DDS1"  # the original payment row's provider
    assert (
        db.count("SELECT COUNT(*) FROM admin.fullproclog WHERE proclogclass = 1 AND amt > 0") == 0
    )
    (note,) = db.rows("SELECT notetext FROM admin.fullnotes WHERE noteid = ?", row["procid"])
    assert marker_for("txn_refund01") in note["notetext"]
    assert marker_for("txn_orig0001") in note["notetext"]
    assert db.aging(1001)["aging0to30"] == before["aging0to30"] + D("20.00")


def test_refund_with_a_credit_type_is_refused(ledger: DentrixLedger, db: Db):
    """A '-' adjustment type cannot carry a refund; nothing is written."""
    count = db.count("SELECT COUNT(*) FROM admin.fullproclog")
    plan = ReversalPlan("txn_refund02", marker_for("txn_refund02"), "txn_x", {}, "1002",
                        D("5.00"), TODAY, "refund", adjustment_type_id="11")  # fmt: skip
    with pytest.raises(PermanentError, match="'\\+' \\(debit\\)"):
        ledger.post_reversal(plan)
    assert db.count("SELECT COUNT(*) FROM admin.fullproclog") == count


def test_same_day_same_amount_payments_are_told_apart(ledger: DentrixLedger):
    """Two identical payments on one date are two postings, each found by its own marker."""
    first = ledger.post_patient_payment(payment("txn_same0001", "1001", "25.00"))
    second = ledger.post_patient_payment(payment("txn_same0002", "1001", "25.00"))
    assert first.pms_ids["procids"] != second.pms_ids["procids"]
    found = ledger.find_posting("txn_same0002")
    assert found is not None and found.pms_ids["procids"] == second.pms_ids["procids"]
    assert ledger.find_posting("txn_same000") is None


def test_posting_twice_returns_the_first_posting(ledger: DentrixLedger, db: Db):
    """Posting the same external key again writes nothing and reports what exists."""
    plan = payment("txn_twice001", "1001", "12.34")
    first = ledger.post_patient_payment(plan)
    count = db.count("SELECT COUNT(*) FROM admin.fullproclog")
    again = ledger.post_patient_payment(plan)
    assert again.already_existed and again.pms_ids["procids"] == first.pms_ids["procids"]
    assert again.amount == D("12.34")
    assert db.count("SELECT COUNT(*) FROM admin.fullproclog") == count


def test_split_beyond_what_a_charge_owes_is_a_data_error(ledger: DentrixLedger, db: Db):
    """A split larger than the charge's remaining amount is refused before anything is written."""
    count = db.count("SELECT COUNT(*) FROM admin.fullproclog")
    with pytest.raises(DataError) as info:
        ledger.post_patient_payment(
            payment("txn_toomuch1", "1001", "50.00", [("50.00", "1001", "2001")])
        )
    assert info.value.code == "charge_changed"
    assert db.count("SELECT COUNT(*) FROM admin.fullproclog") == count


def test_split_for_another_family_is_a_data_error(ledger: DentrixLedger):
    """A split naming a patient of another guarantor is refused."""
    with pytest.raises(DataError, match="family"):
        ledger.post_patient_payment(
            payment("txn_otherfam", "1001", "10.00", [("10.00", "1011", "2007")])
        )


@pytest.mark.parametrize(
    ("plan_kwargs", "message"),
    [
        ({"type_id": "1"}, None),
        ({"type_id": "10"}, "deftype 6"),
        ({"type_id": "x"}, "not a number"),
    ],
)
def test_payment_type_must_be_a_dentrix_payment_type(ledger: DentrixLedger, plan_kwargs, message):
    """Only deftype-6 ids are accepted as payment types."""
    plan = payment("txn_type" + str(plan_kwargs["type_id"]) + "000", "1001", "1.00", **plan_kwargs)
    if message is None:
        assert ledger.post_patient_payment(plan).pms_ids["procids"]
    else:
        with pytest.raises(PermanentError, match=message):
            ledger.post_patient_payment(plan)


def test_splits_must_add_up(ledger: DentrixLedger):
    """A plan whose splits do not add up to its amount is a permanent error."""
    plan = payment("txn_badsum01", "1001", "10.00", [("9.00", "1001", None)])
    with pytest.raises(PermanentError, match="splits add up"):
        ledger.post_patient_payment(plan)


def test_unknown_patient_is_a_data_error(ledger: DentrixLedger):
    """A payment for a patient Dentrix does not have goes to review."""
    with pytest.raises(DataError) as info:
        ledger.post_patient_payment(payment("txn_nobody01", "999999", "10.00"))
    assert info.value.code == "patient_not_found"


def test_refund_note_naming_the_original_does_not_count_as_the_original(ledger: DentrixLedger):
    """find_posting for the original payment returns only its own rows, not the refund whose
    note mentions the original's marker."""
    original = ledger.post_patient_payment(payment("txn_orig0002", "1001", "30.00"))
    ledger.post_reversal(ReversalPlan("txn_refund03", marker_for("txn_refund03"), "txn_orig0002",
                                      original.pms_ids, "1001", D("30.00"), TODAY, "refund",
                                      adjustment_type_id="10"))  # fmt: skip
    found = ledger.find_posting("txn_orig0002")
    assert found is not None and found.pms_ids["procids"] == original.pms_ids["procids"]
    assert found.amount == D("30.00")
