"""Reports: payout and remittance reconciliation, denials by payer and CARC."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from connector.domain import ItemKind, ItemStatus, NewItem
from connector.reports import denial_report, payout_report, remittance_report
from connector.store import SQLiteStore


def _txn(key: str, kind: ItemKind, amount: str, fee: str, payout: str = "po_1") -> NewItem:
    net = str(Decimal(amount) - Decimal(fee))
    payload = {
        "txn": key,
        "payout": payout,
        "payout_arrival_date": "2026-11-20",
        "amount": amount,
        "fee": fee,
        "net": net,
    }
    return NewItem(key, kind, payload, Decimal(amount), group_key=payout)


def test_payout_report_shows_what_explains_a_difference(store: SQLiteStore) -> None:
    """Gross, fees and net add up; the unposted payment is named with its status."""
    store.record(
        "p1",
        "stripe",
        [
            _txn("txn_a", ItemKind.PATIENT_PAYMENT, "100.00", "3.20"),
            _txn("txn_b", ItemKind.PATIENT_PAYMENT, "50.00", "1.75"),
            _txn("txn_r", ItemKind.REFUND, "-20.00", "0.00"),
            _txn("txn_f", ItemKind.STRIPE_OTHER, "-2.00", "0.00"),
        ],
    )
    for key in ("txn_a", "txn_r"):
        item = store.find_item("p1", key)
        assert item is not None
        store.mark_posted(item.id, {"PayNum": 1}, {})
    b = store.find_item("p1", "txn_b")
    assert b is not None
    store.mark_review(b.id, "patient_not_found", "no patient id in metadata")
    [row] = payout_report(store, ["p1"])
    assert (row.gross, row.fees, row.net) == (Decimal("130.00"), Decimal("4.95"), Decimal("123.05"))
    assert row.posted == Decimal("80.00") and row.difference == Decimal("50.00")
    assert row.unposted == ["txn_b patient_payment 50.00 review"]


def _claim(
    rem: str,
    clp: str,
    status: str,
    paid: str,
    payer: str = "Delta Dental",
    adjustments: list[dict[str, str]] | None = None,
) -> NewItem:
    payload = {  # the fields an era_claim payload always has (docs/payloads.md), and the money
        "remittance_key": rem,
        "trace": "T",
        "patient_control": clp,
        "status": status,
        "paid": paid,
        "charge": "300.00",
        "payer_name": payer,
        "adjustments": adjustments or [],
        "lines": [],
    }
    return NewItem(f"{rem}:{clp}", ItemKind.ERA_CLAIM, payload, Decimal(paid), group_key=rem)


def test_remittance_report_balances_bpr_against_claims_and_plb(store: SQLiteStore) -> None:
    """BPR = posted + review + other − PLB gives a zero difference; the parts are shown."""
    rem = "era:P1:TRACE1:235.00:20261118"
    plb = [{"reason": "WO", "amount": "15.00"}]
    store.record(
        "p1",
        "era",
        [
            NewItem(
                rem,
                ItemKind.ERA_REMITTANCE,
                {"trace": "TRACE1", "payer_name": "Delta Dental", "plb": plb},
                Decimal("235.00"),
            ),
            _claim(rem, "A", "1", "150.00"),
            _claim(rem, "B", "1", "100.00"),
            _claim(rem, "C", "4", "0.00"),
        ],
    )
    a = store.find_item("p1", f"{rem}:A")
    b = store.find_item("p1", f"{rem}:B")
    assert a is not None and b is not None
    store.mark_posted(a.id, {}, {})
    store.mark_review(b.id, "paid_below_threshold", "paid 100.00 of 180.00 expected")
    [row] = remittance_report(store, ["p1"])
    assert (row.posted, row.in_review, row.other, row.plb) == (
        Decimal("150.00"),
        Decimal("100.00"),
        Decimal("0.00"),
        Decimal("15.00"),
    )
    assert row.difference == Decimal("0.00") and row.claims == 3


def test_denials_grouped_by_payer_and_carc(store: SQLiteStore) -> None:
    """Denied claims count once per payer and group-CARC; paid claims are not denials."""
    rem = "era:P1:T:0.00:20261118"
    co16 = [{"group": "CO", "reason": "16", "amount": "300.00"}]
    store.record(
        "p1",
        "era",
        [
            _claim(rem, "1", "4", "0.00", adjustments=co16),
            _claim(rem, "2", "4", "0.00", adjustments=co16),
            _claim(
                rem,
                "3",
                "4",
                "0.00",
                payer="Cigna",
                adjustments=[{"group": "CO", "reason": "29", "amount": "300.00"}],
            ),
            _claim(rem, "4", "1", "120.00", adjustments=co16),
        ],
    )
    rows = denial_report(store, ["p1"])
    assert [(r.payer, r.carc, r.claims, r.charges) for r in rows] == [
        ("Cigna", "CO-29", 1, Decimal("300.00")),
        ("Delta Dental", "CO-16", 2, Decimal("600.00")),
    ]


def test_report_command_prints_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`connector report payouts --csv` prints a header and one row per payout."""
    from connector.cli import main
    from tests.support.configs import od_practice, write_config

    for key in ("TEST_OD_DEV", "TEST_OD_CUST", "TEST_OD_ODBC"):
        monkeypatch.setenv(key, "x-secret")
    path = write_config(tmp_path, [od_practice("p1")])
    db = SQLiteStore(tmp_path / "state.db")
    db.migrate()
    payout_debit = NewItem(
        "txn_po",
        ItemKind.STRIPE_OTHER,
        {"type": "payout", "amount": "-9.41", "net": "-9.41", "fee": "0.00"},
        Decimal("-9.41"),
        ItemStatus.IGNORED,
        group_key="po_1",
    )
    db.record(
        "p1",
        "stripe",
        [_txn("txn_a", ItemKind.PATIENT_PAYMENT, "10.00", "0.59"), payout_debit],
    )
    db.close()
    assert main(["--config", str(path), "report", "payouts", "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("practice,payout,arrival,items,gross,fees,net,paid out,posted")
    assert lines[1].startswith("p1,po_1,2026-11-20,1,10.00,0.59,9.41,9.41,0.00,10.00")
    assert ItemStatus.RECEIVED.value in lines[1]
