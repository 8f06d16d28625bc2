"""Bad input from Stripe: each odd transaction is reviewed with a plain reason or ignored with a
counted one; the poll never crashes and drops nothing.

Real HTTP to the sandbox Stripe server on 127.0.0.1; a fixed clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog

from connector.clock import FixedClock
from connector.domain import ItemStatus
from connector.jobs import PollContext
from connector.redaction import Redactor
from connector.sources.stripe import StripeSource
from connector.store import SQLiteStore
from tests.sources.stripe.support import DAY, NOW, NOW_TS, make_practice
from workshop.sandbox.stripe_data import AccountData, Builder, KeyGrant, StripeDataset
from workshop.sandbox.stripe_server import StripeSandbox

KEY = "sk_test_badInputPractice01"
Change = Callable[[dict[str, Any], AccountData], None]

# what was done to a card payment's balance transaction → (status, review or ignore reason)
CASES: dict[str, tuple[Change, str, str | None]] = {
    "ordinary": (lambda t, a: None, "received", None),
    "extra fields Stripe added later": (
        lambda t, a: t.update(future_field={"nested": [1, 2]}, another="x"), "received", None),
    "no reporting category": (lambda t, a: t.pop("reporting_category"), "received", None),
    "zero amount": (lambda t, a: t.update(amount=0, fee=0, net=0), "ignored", "zero_amount"),
    "negative payment": (lambda t, a: t.update(amount=-500, net=-500, fee=0), "review",
                         "stripe_amount_unexpected"),
    "in Canadian dollars": (lambda t, a: t.update(currency="cad", exchange_rate=0.73), "review",
                            "stripe_currency_unsupported"),
    "no currency": (lambda t, a: t.pop("currency"), "review", "stripe_currency_unsupported"),
    "a type Stripe added later": (lambda t, a: t.update(type="quantum_settlement",
                                                        reporting_category="quantum"),
                                  "review", "stripe_transaction_unrecognised"),
    "an adjustment without a dispute": (
        lambda t, a: t.update(type="adjustment", reporting_category="other_adjustment",
                              source=None), "review", "stripe_transaction_unrecognised"),
    "a climate contribution": (lambda t, a: t.update(type="climate_order_purchase",
                                                     reporting_category="climate_order"),
                               "ignored", "not_patient_money"),
    "a refund that brings money in": (
        lambda t, a: t.update(type="refund", reporting_category="refund",
                              source=_refund_of(a, t)), "review", "stripe_amount_unexpected"),
}  # fmt: skip


def _refund_of(acct: AccountData, txn: dict[str, Any]) -> str:
    refund = {"id": f"re_{txn['id'][4:]}", "object": "refund", "amount": txn["amount"],
              "charge": txn["source"], "status": "succeeded", "metadata": {}}  # fmt: skip
    acct.objects[refund["id"]] = refund
    return str(refund["id"])


@pytest.fixture
def sandbox() -> Iterator[tuple[StripeSandbox, dict[str, str]]]:
    """One payout holding one card payment per case, each changed as the case says."""
    data = StripeDataset()
    b = Builder(data, NOW_TS, tag="X")
    acct = data.account("acct_1BadInput00001")
    data.keys[KEY] = KeyGrant(acct.id)
    keys = {}
    for n, (name, (change, _, _)) in enumerate(CASES.items()):
        b.payment(acct, 3000 + n, created=NOW_TS - 3 * DAY,
                  charge_metadata={"pms_patient_id": str(60 + n)})  # fmt: skip
        change(acct.transactions[-1], acct)
        keys[name] = acct.transactions[-1]["id"]
    b.payout(acct, list(acct.transactions), arrival=NOW_TS - DAY)
    with StripeSandbox(data) as server:
        yield server, keys


def test_each_odd_transaction_is_reviewed_or_ignored_with_its_reason(
    sandbox: tuple[StripeSandbox, dict[str, str]], store: SQLiteStore
) -> None:
    """One poll records every transaction; reasons are stable codes with plain messages."""
    server, keys = sandbox
    practice = make_practice("smile", key=KEY, api_base=server.url)
    ctx = PollContext(practice=practice, store=store, redactor=Redactor(),
                      log=structlog.get_logger("test"), clock=FixedClock(NOW))  # fmt: skip
    source = StripeSource(practice, sleep=lambda s: None, buckets=[])
    summary = source.poll(ctx)
    assert summary["payouts_recorded"] == 1
    reviews = {r.item_key: r for r in store.list_reviews("smile")}
    for name, (_, status, reason) in CASES.items():
        item = store.find_item("smile", keys[name])
        assert item is not None, name
        assert item.status is ItemStatus(status), name
        if status == "review":
            assert reviews[keys[name]].reason == reason, name
            assert keys[name] in reviews[keys[name]].message, name
        elif status == "ignored":
            assert item.payload["ignored_reason"] == reason, name
    assert summary["ignored_zero_amount"] == 1
    assert summary["ignored_not_patient_money"] == 2  # the climate order and the payout's debit
    assert source.poll(ctx).get("items_new", 0) == 0
