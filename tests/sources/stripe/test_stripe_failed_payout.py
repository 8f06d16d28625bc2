"""A paid payout that later fails, then is re-paid: one review, nothing recorded twice, and the
payout report shows both payouts.

Real HTTP to the sandbox Stripe server on 127.0.0.1; fixed clocks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import structlog

from connector.clock import FixedClock
from connector.domain import ItemKind, ItemStatus
from connector.jobs import PollContext
from connector.redaction import Redactor
from connector.reports import payout_report
from connector.sources.stripe import StripeSource
from connector.store import SQLiteStore
from tests.sources.stripe.support import DAY, NOW, NOW_TS, make_practice
from workshop.sandbox.stripe_data import AccountData, Builder, KeyGrant, StripeDataset
from workshop.sandbox.stripe_server import StripeSandbox

KEY = "sk_test_failedPayoutPractice"


@pytest.fixture
def world() -> Iterator[tuple[StripeSandbox, Builder, AccountData]]:
    """One account with a paid payout of three payments (arrived five days before NOW)."""
    data = StripeDataset()
    b = Builder(data, NOW_TS, tag="P")
    acct = data.account("acct_1FailedPayout01")
    data.keys[KEY] = KeyGrant(acct.id)
    for i in range(3):
        b.payment(acct, 7000 + i, created=NOW_TS - 7 * DAY,
                  charge_metadata={"pms_patient_id": str(40 + i)})  # fmt: skip
    b.payout(acct, list(acct.transactions), arrival=NOW_TS - 5 * DAY)
    with StripeSandbox(data) as sandbox:
        yield sandbox, b, acct


def poll(sandbox: StripeSandbox, store: SQLiteStore, at: dt.datetime) -> dict[str, int]:
    practice = make_practice("smile", key=KEY, api_base=sandbox.url)
    ctx = PollContext(practice=practice, store=store, redactor=Redactor(),
                      log=structlog.get_logger("test"), clock=FixedClock(at))  # fmt: skip
    return StripeSource(practice, sleep=lambda s: None, buckets=[]).poll(ctx)


def fail_and_repay(b: Builder, acct: AccountData) -> tuple[str, str]:
    """The first payout fails; a later payout carries its money back plus one new payment."""
    first = acct.payouts[0]
    b.fail_payout(acct, first, created=NOW_TS - 3 * DAY)
    returned = acct.transactions[-1]
    b.payment(acct, 2500, created=NOW_TS - 3 * DAY, charge_metadata={"pms_patient_id": "77"})
    again = b.payout(acct, [returned, acct.transactions[-1]], arrival=NOW_TS - 1 * DAY)
    return str(first["id"]), str(again["id"])


@pytest.mark.parametrize("seen_failing", [True, False], ids=["failure-seen-first", "same-poll"])
def test_a_failed_then_repaid_payout_gives_one_review_and_no_second_posting(
    world: tuple[StripeSandbox, Builder, AccountData], store: SQLiteStore, seen_failing: bool
) -> None:
    """Whether the failure is seen before the re-paying payout or in the same poll."""
    sandbox, b, acct = world
    poll(sandbox, store, NOW - dt.timedelta(days=4))
    failed, again = fail_and_repay(b, acct)
    if seen_failing:
        poll(sandbox, store, NOW - dt.timedelta(days=2, hours=12))  # failed, not yet re-paid
        assert [r.reason for r in store.list_reviews("smile")] == ["payout_failed"]
    summary = poll(sandbox, store, NOW)
    assert summary["payout_failures_linked"] == 1
    reviews = store.list_reviews("smile")
    assert [r.reason for r in reviews] == ["payout_failed"]
    assert store.get_item(reviews[0].item_id).key == f"{failed}:failed"  # type: ignore[union-attr]
    payments = [i for i in store.group_items("smile", failed) if i.kind is ItemKind.PATIENT_PAYMENT]
    assert len(payments) == 3
    repaid = store.group_items("smile", again)
    assert sorted(i.kind.value for i in repaid) == ["patient_payment", "payout_failure",
                                                    "stripe_other"]  # fmt: skip
    (back,) = [i for i in repaid if i.kind is ItemKind.PAYOUT_FAILURE]
    assert back.status is ItemStatus.IGNORED and back.related_key == failed
    assert back.payload["ignored_reason"] == "payout_failure_returned"
    assert poll(sandbox, store, NOW).get("items_new", 0) == 0
    rows = {r.payout: r for r in payout_report(store, ["smile"])}
    assert rows[failed].status_words == f"failed, re-paid in {again}"
    assert rows[again].status_words == f"re-pays {failed}"
    assert rows[again].gross == rows[again].posted + rows[again].ignored + 25  # the new payment


def test_money_of_a_payout_that_failed_before_it_was_recorded_is_reviewed(
    world: tuple[StripeSandbox, Builder, AccountData], store: SQLiteStore
) -> None:
    """Its payments never reached the ledger: the returned money is a review saying so."""
    sandbox, b, acct = world
    failed, again = fail_and_repay(b, acct)
    poll(sandbox, store, NOW)
    (review,) = store.list_reviews("smile")
    assert review.reason == "payout_failed" and "not on the ledger" in review.message
    assert store.get_item(review.item_id).group_key == again  # type: ignore[union-attr]
    assert store.find_item("smile", f"{failed}:failed") is None
