"""`report payouts` on the demo payouts polled through the real Stripe source: every fee counted,
so payments − refunds − disputes − fees + other = what reached the bank, on every line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.reports import payout_report
from connector.store import SQLiteStore
from tests.sources.stripe.support import NOW, make_practice
from workshop.sandbox.stripe_data import DemoPractice, demo_dataset

KEY = "sk_test_practiceKey0001"


def test_every_fee_of_a_payout_is_in_the_report(
    emulate: Any, make_source: Any, make_ctx: Any, store: SQLiteStore
) -> None:
    """The $5.00 Radar fee of the first payout is a fee; each line adds up to the bank amount."""
    emulate(demo_dataset([DemoPractice("smile", KEY, ("1", "2", "3", "4", "5"))], now=NOW))
    practice = make_practice()
    make_source(practice).poll(make_ctx(practice))
    rows = [r for r in payout_report(store, ["smile"]) if r.paid_out]
    assert len(rows) == 2
    first, second = rows
    processing = sum(
        (
            Decimal(str(i.payload["fee"]))
            for i in map(lambda k: store.find_item("smile", k), _keys(store, first.payout))
            if i is not None
        ),
        Decimal("0.00"),
    )
    assert first.fees == processing + Decimal("5.00")  # the Radar fee transaction
    assert second.refunds > 0 and second.disputes > 0
    for row in rows:
        assert row.payments - row.refunds - row.disputes - row.fees + row.other == row.paid_out
        assert row.unexplained == Decimal("0.00")


def _keys(store: SQLiteStore, payout: str) -> list[str]:
    rows = store._conn().execute("SELECT key FROM items WHERE group_key = ?", (payout,)).fetchall()
    return [r["key"] for r in rows]
