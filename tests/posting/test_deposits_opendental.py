"""A payout's deposit on the Open Dental API double over the real MariaDB: ``POST /deposits``
from 25.4.33 with the payout's payments attached and the bank amount; below it the deposit
slip in ``report deposits``, nothing written."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.base import ClaimMatch, Ledger
from connector.clock import FixedClock
from connector.config import PostingSettings
from connector.domain import ItemKind, ItemStatus, NewItem
from connector.jobs import PollContext
from connector.logging import get_logger
from connector.posting.runner import PostingJob
from connector.reconcile.slips import deposit_slips
from connector.redaction import Redactor
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, new_stripe, practice, record
from tests.support.opendental import OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
D = Decimal


def post(store: SQLiteStore, od: OdContext, *, deposits: bool = True) -> dict[str, int]:
    """One posting run through a fresh Open Dental adapter (``deposits`` off: none written)."""
    chosen = practice(
        writeback={"deposits": deposits},
        auto_post={"payment_type": str(Ids.INSPAY_EFT), "deposits": deposits},
    )

    def factory(_settings: object) -> Ledger:
        return od.ledger()

    job = PostingJob(chosen, redactor=Redactor(), posting=PostingSettings(),
                     ledger_factory=factory)  # fmt: skip
    ctx = PollContext(practice=chosen, store=store, redactor=Redactor(),
                      log=get_logger("connector.posting"), stop=threading.Event(),
                      clock=FixedClock(NOW), dry_run=False)  # fmt: skip
    return job.poll(ctx)


def payout(store: SQLiteStore) -> None:
    """po_1: Ana pays 125.00 and 60.00 (fee 3.93 each); 177.14 reached the bank."""
    debit = NewItem("txn_po1", ItemKind.STRIPE_OTHER,
                    {"txn": "txn_po1", "payout": "po_1", "payout_arrival_date": "2026-11-20",
                     "type": "payout", "amount": "-177.14", "fee": "0.00", "net": "-177.14"},
                    D("-177.14"), ItemStatus.IGNORED, group_key="po_1")  # fmt: skip
    a = new_stripe(ItemKind.PATIENT_PAYMENT, "txn_d1", "125.00", patient_ref=str(Ids.ANA),
                   charge="ch_d1")  # fmt: skip
    b = new_stripe(ItemKind.PATIENT_PAYMENT, "txn_d2", "60.00", patient_ref=str(Ids.ANA),
                   charge="ch_d2")  # fmt: skip
    record(store, a, b, debit)


@pytest.fixture
def version_25_4(od: OdContext) -> Iterator[None]:
    """The office runs Open Dental 25.4.40."""
    sql = "UPDATE preference SET ValueString = ? WHERE PrefName = 'DataBaseVersion'"
    [(before,)] = od.db.rows(
        "SELECT ValueString FROM preference WHERE PrefName = 'DataBaseVersion'"
    )
    conn = od.db.admin()
    try:
        conn.cursor().execute(sql, "25.4.40.0")
        yield
    finally:
        conn.cursor().execute(sql, before)
        conn.close()


def test_deposit_groups_the_payout(od: OdContext, store: SQLiteStore, version_25_4: None) -> None:
    """The deposit equals the bank amount, is dated the arrival date, holds both payments and
    is written once."""
    payout(store)
    counts = post(store, od)
    assert (counts["posted"], counts["deposits_posted"]) == (2, 1)
    [(dep, day, amount, memo)] = od.db.rows(
        "SELECT DepositNum, DateDeposit, CAST(Amount AS DECIMAL(14,2)), Memo FROM deposit"
    )
    assert (day, D(amount)) == (dt.date(2026, 11, 20), D("177.14"))
    assert memo.startswith("[connector deposit:po_1] Stripe payout po_1: 2 postings")
    attached = od.db.rows("SELECT COUNT(*) FROM payment WHERE DepositNum = ?", dep)
    assert attached[0][0] == 2
    assert post(store, od).get("deposits_posted", 0) == 0
    assert od.db.rows("SELECT COUNT(*) FROM deposit")[0][0] == 1
    [slip] = deposit_slips(store, [PRACTICE])
    assert slip.state == "written" and slip.deposit_ids == f"DepositNum={dep}"


def test_below_25_4_the_deposit_slip(od: OdContext, store: SQLiteStore, tmp_path: Path) -> None:
    """24.3 (the seed): no deposit written; the slip lists both payments and the fees, and
    lines − fees = the bank amount."""
    payout(store)
    post(store, od)
    post(store, od)
    assert od.db.rows("SELECT COUNT(*) FROM deposit")[0][0] == 0
    item = store.find_item(PRACTICE, "deposit:po_1")
    assert item is not None and item.status is ItemStatus.IGNORED
    [slip] = deposit_slips(store, [PRACTICE])
    assert slip.state == "slip" and [ln.key for ln in slip.lines] == ["txn_d1", "txn_d2"]
    assert sum((ln.amount for ln in slip.lines), D("0.00")) - slip.fees == slip.amount


def test_check_config_says_where_deposits_go(od: OdContext, request: pytest.FixtureRequest) -> None:
    """check-config's deposit line: a note with the version below 25.4.33, ok from it."""
    from connector.posting.deposits import deposit_notice

    ledger = od.ledger()
    old = deposit_notice(ledger, ledger.ping().version)  # the seed office: 25.2.15
    assert old.startswith("note: opendental 25.2") and "report deposits" in old
    request.getfixturevalue("version_25_4")
    assert deposit_notice(od.ledger(), "25.4.40.0").startswith("ok: a deposit per paid payout")


def test_eft_deposit_and_the_partial_remittance_check(
    od: OdContext, store: SQLiteStore, version_25_4: None
) -> None:
    """An EFT of two claims (BPR02 = 240.00) on the remittance's one insurance check. While
    Open Dental keeps that check partial (the double does; whether Open Dental clears IsPartial
    once the attached money reaches CheckAmt is unverified) it cannot go on a deposit: nothing
    is written and a person is told which check was left out. Once it is not partial (staff
    finalized it), the deposit is written with it."""
    from tests.contract.opendental_harness import OpenDentalHarness
    from tests.posting.helpers import claim_payload, line, new_claim, remittance_payload

    harness = OpenDentalHarness(od)
    patient = harness.scenario.received_claim_patient
    day = harness.scenario.today
    key = "era:1999999999:EFTOD1:240.00:2026-01-05"
    claims = []
    for _ in range(2):
        claim_id = harness.add_claim(patient, day, D("150.00"))
        [record_] = [c for c in od.ledger().find_claims(_window(day, patient))
                     if c.claim_id == claim_id]  # fmt: skip
        (ln,) = record_.lines
        lines = [line(ln.code, str(ln.fee), "120.00", ("CO", "45", str(ln.fee - D("120.00"))),
                      date=ln.date.isoformat())]  # fmt: skip
        claims.append(new_claim(claim_payload(record_.claim_identifier, "1", str(ln.fee),
                                              "120.00", lines, payer_control=f"P{claim_id}",
                                              remit=key)))  # fmt: skip
    rem = remittance_payload(amount="240.00", key=key)
    rem.payload["trace"] = "EFTOD1"
    record(store, rem, *claims, source="era")
    counts = post(store, od)
    assert (counts["posted"], counts["deposits_review"]) == (2, 1)
    first = store.find_item(PRACTICE, claims[0].key)
    assert first is not None
    check = int(first.pms_ids["ClaimPaymentNum"])  # the remittance's one check, both claims
    [(partial,)] = od.db.rows("SELECT IsPartial FROM claimpayment WHERE ClaimPaymentNum = ?", check)
    assert int(partial) == 1
    assert od.db.rows("SELECT COUNT(*) FROM deposit")[0][0] == 0
    [review] = store.list_reviews(PRACTICE)
    assert f"insurance checks [{int(check)}] are partial or $0" in review.message
    conn = od.db.admin()
    try:
        conn.cursor().execute(
            "UPDATE claimpayment SET IsPartial = 0 WHERE ClaimPaymentNum = ?", check
        )
    finally:
        conn.close()
    item = store.find_item(PRACTICE, "deposit:era:1999999999:EFTOD1")
    assert item is not None
    store.retry_review(review.id)
    assert post(store, od)["deposits_posted"] == 1
    [(dep, amount)] = od.db.rows("SELECT DepositNum, CAST(Amount AS DECIMAL(14,2)) FROM deposit")
    assert D(amount) == D("240.00")
    on_it = od.db.rows("SELECT ClaimPaymentNum FROM claimpayment WHERE DepositNum = ?", dep)
    assert [int(r[0]) for r in on_it] == [int(check)]


def _window(day: dt.date, patient: str) -> ClaimMatch:
    return ClaimMatch(service_from=day, patient_id=patient)


def test_payment_already_deposited_by_hand_goes_to_a_person(
    od: OdContext, store: SQLiteStore, version_25_4: None
) -> None:
    """Staff already put a payment of the payout on a deposit: nothing is written, a person is
    told which deposit holds it."""
    payout(store)
    post(store, od, deposits=False)
    conn = od.db.admin()
    try:
        conn.cursor().execute("UPDATE payment SET DepositNum = 77 WHERE PayNote LIKE '%txn_d1%'")
    finally:
        conn.close()
    post(store, od)
    assert od.db.rows("SELECT COUNT(*) FROM deposit")[0][0] == 0
    item = store.find_item(PRACTICE, "deposit:po_1")
    assert item is not None and item.status is ItemStatus.REVIEW
    [review] = store.list_reviews(PRACTICE)
    assert "already on a deposit" in review.message and "(deposit 77)" in review.message
