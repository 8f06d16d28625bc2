"""Connect: a platform practice and its connected practices record each payment once.

The sandbox Stripe server runs on 127.0.0.1 (real HTTP, real stripe-python); the data set is a
platform with its own payments and destination charges for two connected accounts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from connector.clock import FixedClock
from connector.domain import ItemKind, ItemStatus
from connector.jobs import PollContext
from connector.redaction import Redactor
from connector.sources.stripe import StripeSource
from connector.store import SQLiteStore
from tests.sources.stripe.support import NOW, make_practice
from workshop.sandbox.stripe_connect_data import ConnectStory, connect_dataset
from workshop.sandbox.stripe_server import StripeSandbox

PLATFORM_KEY = "sk_test_connectPlatform01"
ACCOUNTS = ("acct_1ConnectSmileA01", "acct_1ConnectSmileB01")


@pytest.fixture
def server() -> Iterator[tuple[StripeSandbox, ConnectStory]]:
    """The sandbox server with the platform + Connect data set, dates relative to NOW."""
    data, story = connect_dataset(PLATFORM_KEY, ACCOUNTS, now=NOW)
    with StripeSandbox(data) as sandbox:
        yield sandbox, story


def poll(sandbox: StripeSandbox, store: SQLiteStore, practice_id: str,
         account: str | None) -> dict[str, int]:  # fmt: skip
    """One poll of one practice (the platform with ``account`` None)."""
    practice = make_practice(practice_id, key=PLATFORM_KEY, account=account,
                             api_base=sandbox.url)  # fmt: skip
    ctx = PollContext(practice=practice, store=store, redactor=Redactor(),
                      log=structlog.get_logger("test"), clock=FixedClock(NOW))  # fmt: skip
    return StripeSource(practice, sleep=lambda s: None, buckets=[]).poll(ctx)


def items(store: SQLiteStore, practice_id: str) -> dict[str, Any]:
    rows = store._conn().execute(
        "SELECT key FROM items WHERE practice_id = ?", (practice_id,)).fetchall()  # fmt: skip
    return {r["key"]: store.find_item(practice_id, r["key"]) for r in rows}


def test_each_destination_charge_is_recorded_by_the_connected_practice_only(
    server: tuple[StripeSandbox, ConnectStory], store: SQLiteStore
) -> None:
    """Platform: own payments only; Connect objects ignored (counted) or sent to review."""
    sandbox, story = server
    summary = poll(sandbox, store, "dso-platform", None)
    for index, account in enumerate(ACCOUNTS):
        connected = poll(sandbox, store, f"smile-{index}", account)
        # the platform customer of a destination charge is a fifth expansion level: one call
        assert connected["customer_lookups"] == 1
    platform = items(store, "dso-platform")
    payments = {k for k, i in platform.items() if i.kind is ItemKind.PATIENT_PAYMENT}
    assert payments == set(story.platform_own_payments)
    for key in story.platform_ignored:
        assert platform[key].status is ItemStatus.IGNORED, key
        assert platform[key].payload["connect_reason"] in (
            "connect_destination_charge", "connect_destination_refund", "connect_transfer",
            "connect_application_fee")  # fmt: skip
    assert {k for k, i in platform.items() if i.status is ItemStatus.REVIEW} == set(
        story.platform_review)  # fmt: skip
    reviews = {r.item_id: r for r in store.list_reviews("dso-platform")}
    for key in story.platform_review:
        review = reviews[platform[key].id]
        assert review.reason == "connect_platform_reversal"
        assert platform[key].payload["owner_account"] in ACCOUNTS
    assert summary["ignored_connect_destination_charge"] == 10
    assert summary["ignored_connect_transfer"] == 12  # 10 transfers + 2 transfer reversals
    assert summary["ignored_connect_application_fee"] == 2
    assert summary["ignored_connect_destination_refund"] == 2
    # the own payment's customer comes expanded with the list; no customer is read for
    # another practice's payment
    assert summary["customer_lookups"] == 0
    refs = sorted(platform[k].payload["patient_ref"] for k in story.platform_own_payments)
    assert refs == ["900", "901", "903", "909"]
    # Each platform charge is a patient payment in exactly one practice, the connected one.
    owners: dict[str, list[str]] = {}
    for practice_id in ("dso-platform", "smile-0", "smile-1"):
        for item in items(store, practice_id).values():
            if item.kind is ItemKind.PATIENT_PAYMENT:
                charge = item.payload["platform_charge"] or item.payload["charge"]
                owners.setdefault(charge, []).append(practice_id)
    assert all(len(found) == 1 for found in owners.values()), owners
    for index, account in enumerate(ACCOUNTS):
        practice = items(store, f"smile-{index}")
        assert {owners[c][0] for c in story.destination_charges[account]} == {f"smile-{index}"}
        paid = {k: i for k, i in practice.items() if i.kind is ItemKind.PATIENT_PAYMENT}
        assert set(paid) == set(story.connected_payments[account])
        assert sorted(i.payload["patient_ref"] for i in paid.values()) == [
            f"{index + 1}0{n}" for n in range(1, 6)
        ]  # incl. the one on the platform customer
        refunds = [i for i in practice.values() if i.kind is ItemKind.REFUND]
        assert [r.key for r in refunds] == story.connected_refunds[account]
        assert refunds[0].related_key in {i.payload["charge"] for i in paid.values()}


def test_a_second_poll_records_nothing_new_on_any_practice(
    server: tuple[StripeSandbox, ConnectStory], store: SQLiteStore
) -> None:
    """Re-reading the window is harmless for the platform and its connected practices."""
    sandbox, _ = server
    for _ in range(2):
        results = [poll(sandbox, store, "dso-platform", None)]
        results += [poll(sandbox, store, f"smile-{i}", a) for i, a in enumerate(ACCOUNTS)]
    assert all(r.get("items_new", 0) == 0 for r in results)
