"""Patient payments and refunds written to the emulated Eaglesoft ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.base import marker_for
from adapters.eaglesoft import mapping as m
from adapters.eaglesoft.adapter import EaglesoftLedger
from connector.domain import ReversalPlan
from connector.errors import DataError, PermanentError
from tests.adapters.eaglesoft.conftest import TODAY, Db, payment

D = Decimal


def details(db: Db, tran: int) -> list[tuple[int, str, Decimal, int | None]]:
    rows = db.rows("SELECT * FROM transactions_detail WHERE tran_num = ? ORDER BY detail_id", tran)
    return [(r["patient_id"], r["provider_id"], D(str(r["amount"])), r["applied_to"]) for r in rows]


def test_allocate_mode_writes_one_detail_per_charge_with_applied_to(ledger: EaglesoftLedger,
                                                                    db: Db):  # fmt: skip
    """Each paid charge gets its own detail line whose applied_to is the charge's tran_num,
    crediting the charge's provider; the charges' amounts due shrink by exactly that."""
    splits = [("24.00", "102", "1002"), ("14.00", "102", "1003"), ("7.00", "101", "1001")]
    plan = payment("txn_alloc001", "102", "45.00", splits)
    entry = ledger.post_patient_payment(plan)
    (tran,) = entry.pms_ids["tran_nums"]
    (header,) = db.rows("SELECT * FROM transactions_header WHERE tran_num = ?", tran)
    assert (header["type"], header["paytype_id"], header["resp_party_id"]) == ("A", 4, 101)
    assert (D(str(header["amount"])), header["impacts"], header["status"]) == (D("-45"), "C", "A")
    assert details(db, tran) == [
        (102, "HYG1", D("-24"), 1002), (102, "HYG1", D("-14"), 1003), (101, "DDS1", D("-7"), 1001),
    ]  # fmt: skip
    due = {c.charge_ref: c.amount_due for c in ledger.family_charges(ledger.find_patient("102"))}  # type: ignore[arg-type]
    assert "1002" not in due and "1003" not in due
    assert due["1001"] == D("33.00")


def test_post_only_writes_one_unassigned_detail(ledger: EaglesoftLedger, db: Db):
    """Post-only mode writes a single detail with applied_to NULL, and open charges stay as
    they were (an unassigned credit pays nothing in particular)."""
    patient = ledger.find_patient("110")
    assert patient is not None
    before = ledger.family_charges(patient)
    entry = ledger.post_patient_payment(payment("txn_post0001", "110", "60.00"))
    (tran,) = entry.pms_ids["tran_nums"]
    assert details(db, tran) == [(110, "DDS2", D("-60"), None)]
    assert ledger.family_charges(patient) == before


def test_family_payment_lands_on_member_and_refreshes_balances(ledger: EaglesoftLedger, db: Db):
    """A payment for a child is a detail on the child under the responsible party's header,
    and the child's current_bal is recomputed; the parents' balances are unchanged."""

    def balances() -> dict[int, Decimal]:
        rows = db.rows("SELECT patient_id, current_bal FROM patient WHERE responsible_party = 101")
        return {r["patient_id"]: D(str(r["current_bal"])) for r in rows}

    before = balances()
    entry = ledger.post_patient_payment(payment("txn_family01", "103", "50.00"))
    (tran,) = entry.pms_ids["tran_nums"]
    assert db.count("SELECT resp_party_id FROM transactions_header WHERE tran_num = ?", tran) == 101
    assert details(db, tran) == [(103, "HYG1", D("-50"), None)]
    after = balances()
    assert after[103] == before[103] - D("50.00") == D("285.00")
    assert after[101] == before[101] and after[102] == before[102]


def test_description_starts_with_the_compact_marker(ledger: EaglesoftLedger, db: Db):
    """The header's description begins with the key's compact marker and fits 50 characters."""
    entry = ledger.post_patient_payment(payment("txn_1PqRsTuVwXyZ", "101", "5.00"))
    (tran,) = entry.pms_ids["tran_nums"]
    (row,) = db.rows("SELECT description FROM transactions_header WHERE tran_num = ?", tran)
    assert row["description"].startswith(m.compact_marker("txn_1PqRsTuVwXyZ"))
    assert "TuVwXyZ" in row["description"] and len(row["description"]) <= 50


def test_marker_survives_the_description_length_limit(ledger: EaglesoftLedger, db: Db):
    """With a very long key and reference the description is cut to 50 characters, the marker
    survives, and find_posting tells it apart from a key sharing the same tail."""
    long_key = "era:1234567890:" + "T" * 60 + ":1200.00:20261120:CLAIMCONTROLNUMBER-00042:ABCDEFGH"
    twin_key = "era:9999999999:" + "T" * 60 + ":1200.00:20261120:CLAIMCONTROLNUMBER-00042:ABCDEFGH"
    plan = payment(long_key, "101", "5.00", source_ref="ch_" + "x" * 80)
    entry = ledger.post_patient_payment(plan)
    (row,) = db.rows("SELECT description FROM transactions_header WHERE tran_num = ?",
                     entry.pms_ids["tran_nums"][0])  # fmt: skip
    assert len(row["description"]) == 50
    assert ledger.find_posting(long_key) is not None
    assert ledger.find_posting(twin_key) is None
    assert ledger.post_patient_payment(payment(twin_key, "101", "5.00")).already_existed is False


def test_refund_is_a_debit_adjustment_that_impacts_collections(ledger: EaglesoftLedger, db: Db):
    """A refund is a type D header with the refund adjustment type and a positive amount,
    referring to the original's marker; it is not a negative payment."""
    original = ledger.post_patient_payment(payment("txn_orig0001", "102", "30.00"))
    plan = ReversalPlan("txn_refund01", marker_for("txn_refund01"), "txn_orig0001",
                        original.pms_ids, "102", D("30.00"), TODAY, "refund",
                        adjustment_type_id="10")  # fmt: skip
    entry = ledger.post_reversal(plan)
    (tran,) = entry.pms_ids["tran_nums"]
    (header,) = db.rows("SELECT * FROM transactions_header WHERE tran_num = ?", tran)
    assert (header["type"], header["adjustment_type"], header["paytype_id"]) == ("D", 10, None)
    assert (D(str(header["amount"])), header["impacts"]) == (D("30"), "C")
    assert m.compact_marker("txn_orig0001") in header["description"]
    assert details(db, tran) == [(102, "DDS1", D("30"), None)]
    assert db.count("SELECT COUNT(*) FROM transactions_header WHERE type = 'A' AND amount > 0") == 0
    assert D(
        str(db.rows("SELECT current_bal FROM patient WHERE patient_id = 102")[0]["current_bal"])
    ) == D("190.00")


def test_refund_type_must_impact_collections(ledger: EaglesoftLedger, db: Db):
    """An adjustment type that impacts production cannot carry a refund; nothing is written."""
    count = db.count("SELECT COUNT(*) FROM transactions_header")
    plan = ReversalPlan("txn_refund02", "m", "txn_x", {}, "102", D("5.00"), TODAY, "refund",
                        adjustment_type_id="12")  # fmt: skip
    with pytest.raises(PermanentError, match="collections"):
        ledger.post_reversal(plan)
    assert db.count("SELECT COUNT(*) FROM transactions_header") == count


def test_posting_twice_returns_the_first_posting(ledger: EaglesoftLedger, db: Db):
    """The same external key posted again writes nothing."""
    first = ledger.post_patient_payment(payment("txn_twice001", "101", "9.99"))
    count = db.count("SELECT COUNT(*) FROM transactions_detail")
    again = ledger.post_patient_payment(payment("txn_twice001", "101", "9.99"))
    assert again.already_existed and again.pms_ids["tran_nums"] == first.pms_ids["tran_nums"]
    assert again.amount == D("9.99")
    assert db.count("SELECT COUNT(*) FROM transactions_detail") == count


def test_deleted_posting_is_reported_not_reposted(ledger: EaglesoftLedger, db: Db):
    """If staff deleted our transaction (status D), find_posting still reports it."""
    entry = ledger.post_patient_payment(payment("txn_deleted1", "101", "3.00"))
    db.rows("UPDATE transactions_header SET status = 'D' WHERE tran_num = ?",
            entry.pms_ids["tran_nums"][0])  # fmt: skip
    found = ledger.find_posting("txn_deleted1")
    assert found is not None and found.pms_ids["deleted_tran_nums"] == entry.pms_ids["tran_nums"]


def test_split_beyond_what_a_charge_owes_is_a_data_error(ledger: EaglesoftLedger):
    """A split larger than the charge's remaining amount is refused."""
    with pytest.raises(DataError) as info:
        ledger.post_patient_payment(payment("txn_toomuch1", "101", "50.00",
                                            [("50.00", "101", "1001")]))  # fmt: skip
    assert info.value.code == "charge_changed"


def test_unknown_payment_type_is_refused(ledger: EaglesoftLedger):
    """Only existing paytype ids are accepted."""
    with pytest.raises(PermanentError, match="paytype"):
        ledger.post_patient_payment(payment("txn_badtype1", "101", "1.00", type_id="77"))
