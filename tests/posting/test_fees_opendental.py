"""``writeback.fees`` on the Open Dental API double over the real MariaDB: the processor fee is
booked on the payment (``MerchantFee``) where the version has it, else in the note; never as a
patient charge, and the patient is always credited the gross amount."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest

from adapters.base import Ledger
from connector.clock import FixedClock
from connector.config import PostingSettings
from connector.domain import ItemKind
from connector.jobs import PollContext
from connector.logging import get_logger
from connector.posting.runner import PostingJob
from connector.redaction import Redactor
from connector.store import SQLiteStore
from tests.posting.helpers import new_stripe, practice, record
from tests.support.opendental import OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def post(store: SQLiteStore, od: OdContext, fees: str) -> dict[str, int]:
    """One posting run with ``writeback.fees: <fees>`` through a fresh adapter."""
    chosen = practice(writeback={"fees": fees})

    def factory(_settings: object) -> Ledger:
        return od.ledger()

    job = PostingJob(chosen, redactor=Redactor(), posting=PostingSettings(),
                     ledger_factory=factory)  # fmt: skip
    ctx = PollContext(practice=chosen, store=store, redactor=Redactor(),
                      log=get_logger("connector.posting"), stop=threading.Event(),
                      clock=FixedClock(NOW), dry_run=False)  # fmt: skip
    return job.poll(ctx)


def paid(store: SQLiteStore, key: str) -> None:
    record(store, new_stripe(ItemKind.PATIENT_PAYMENT, key, "125.00",
                             patient_ref=str(Ids.ANA), charge=f"ch_{key}"))  # fmt: skip


def row(od: OdContext, key: str) -> tuple[Decimal, Decimal, str]:
    [(amount, fee, note)] = od.db.rows(
        "SELECT CAST(PayAmt AS DECIMAL(14,2)), CAST(MerchantFee AS DECIMAL(14,2)), PayNote "
        "FROM payment WHERE PayNote LIKE ?",
        f"%{key}%",
    )
    return Decimal(amount), Decimal(fee), str(note)


@pytest.fixture
def old_version(od: OdContext) -> Iterator[None]:
    """The office runs Open Dental 23.3 (no MerchantFee on the API, by our gate)."""
    conn = od.db.admin()
    sql = "UPDATE preference SET ValueString = ? WHERE PrefName = 'DataBaseVersion'"
    [(before,)] = od.db.rows(
        "SELECT ValueString FROM preference WHERE PrefName = 'DataBaseVersion'"
    )
    try:
        conn.cursor().execute(sql, "23.3.10.0")
        yield
    finally:
        conn.cursor().execute(sql, before)
        conn.close()


def test_merchant_fee_on_the_payment_row(od: OdContext, store: SQLiteStore) -> None:
    """24.3: the 3.93 fee is the payment's MerchantFee; the payment is the gross 125.00."""
    paid(store, "txn_fee_1")
    assert post(store, od, "merchant_fee")["posted"] == 1
    amount, fee, note = row(od, "txn_fee_1")
    assert (amount, fee) == (Decimal("125.00"), Decimal("3.93"))
    assert "processor fee" not in note
    [body] = [r.body for r in od.api.requests if (r.method, r.path) == ("POST", "/payments")]
    assert body["MerchantFee"] == "3.93"


def test_merchant_fee_below_the_version_goes_in_the_note(
    od: OdContext, store: SQLiteStore, old_version: None
) -> None:
    """An office below the gate: no MerchantFee is sent; the note names the fee and its txn."""
    paid(store, "txn_fee_2")
    assert post(store, od, "merchant_fee")["posted"] == 1
    amount, fee, note = row(od, "txn_fee_2")
    assert (amount, fee) == (Decimal("125.00"), Decimal("0.00"))
    assert "processor fee 3.93 (txn_fee_2)" in note


def test_fees_note_and_none(od: OdContext, store: SQLiteStore) -> None:
    """``note`` writes the fee in the note only; ``none`` books it nowhere."""
    paid(store, "txn_fee_3")
    assert post(store, od, "note")["posted"] == 1
    amount, fee, note = row(od, "txn_fee_3")
    assert (amount, fee) == (Decimal("125.00"), Decimal("0.00"))
    assert "processor fee 3.93 (txn_fee_3)" in note
    paid(store, "txn_fee_4")
    assert post(store, od, "none")["posted"] == 1
    amount, fee, note = row(od, "txn_fee_4")
    assert (amount, fee) == (Decimal("125.00"), Decimal("0.00")) and "processor fee" not in note
    adjustments = od.db.rows("SELECT COUNT(*) FROM adjustment WHERE AdjNote LIKE '%txn_fee%'")
    assert adjustments[0][0] == 0  # never a patient charge or adjustment
