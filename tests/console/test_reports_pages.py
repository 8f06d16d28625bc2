"""Payouts, Remittances and Denials as console tables, scoped, with drill-downs."""

from __future__ import annotations

from decimal import Decimal

from starlette.testclient import TestClient

from connector.domain import ItemKind, NewItem
from tests.console.support import Env, sign_in


def _txn(key: str, amount: str, fee: str) -> NewItem:
    payload = {
        "txn": key,
        "payout": "po_7",
        "payout_arrival_date": "2026-03-04",
        "amount": amount,
        "fee": fee,
        "net": str(Decimal(amount) - Decimal(fee)),
    }
    return NewItem(key, ItemKind.PATIENT_PAYMENT, payload, Decimal(amount), group_key="po_7")


def _claim(
    rem: str, clp: str, status: str, paid: str, adjustments: list[dict[str, str]]
) -> NewItem:
    payload = {  # the fields an era_claim payload always has (docs/payloads.md), and the money
        "remittance_key": rem,
        "trace": "TRACE1",
        "patient_control": clp,
        "status": status,
        "paid": paid,
        "charge": "300.00",
        "payer_name": "Delta Dental",
        "adjustments": adjustments,
        "lines": [],
    }
    return NewItem(f"{rem}:{clp}", ItemKind.ERA_CLAIM, payload, Decimal(paid), group_key=rem)


def test_reports_tables_and_drill_down(client: TestClient, env: Env) -> None:
    """One row per payout / remittance / payer+CARC; links open their items in the queue."""
    env.store.record(
        "smile", "stripe", [_txn("txn_a", "100.00", "3.20"), _txn("txn_b", "50.00", "1.75")]
    )
    env.store.record(
        "other",
        "stripe",
        [
            NewItem(
                "txn_z",
                ItemKind.PATIENT_PAYMENT,
                {"payout": "po_9", "amount": "9.00"},
                Decimal("9.00"),
                group_key="po_9",
            )
        ],
    )
    rem = "era:P1:TRACE1:0.00:20260302"
    co16 = [{"group": "CO", "reason": "16", "amount": "300.00"}]
    env.store.record(
        "smile",
        "era",
        [
            NewItem(
                rem,
                ItemKind.ERA_REMITTANCE,
                {"trace": "TRACE1", "payer_name": "Delta Dental"},
                Decimal("0.00"),
            ),
            _claim(rem, "1", "4", "0.00", co16),
            _claim(rem, "2", "4", "0.00", co16),
        ],
    )
    sign_in(client, "sam")
    payouts = client.get("/reports/payouts")
    assert payouts.status_code == 200 and "po_7" in payouts.text and "po_9" not in payouts.text
    assert "$150.00" in payouts.text and "$4.95" in payouts.text
    drill = client.get("/queue?tab=all&practice=smile&group=po_7")
    assert drill.text.count('href="/items/') == 2 * 2
    remittances = client.get("/reports/remittances")
    assert "TRACE1" in remittances.text and "Delta Dental" in remittances.text
    denials = client.get("/reports/denials")
    assert "CO-16" in denials.text and ">2<" in denials.text and "$600.00" in denials.text
    assert "must be a date" in client.get("/reports/denials?from=soon").text
    assert client.get("/reports/nope").status_code == 404
