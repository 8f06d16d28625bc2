"""Payouts that failed after showing paid: one review, and the money's return linked to it.

Stripe may report a payout ``paid`` and later ``failed`` (closed bank account, for one). The
patients did pay, so their payments stay posted; the practice gets **one** ``payout_failed``
review (key ``po_…:failed``). Stripe puts the money back in the balance with a
``payout_failure`` (or ``payout_cancel``) balance transaction whose ``source`` is the failed
payout, and pays it out again in a later payout. That transaction is:

* **ignored** (``payout_failure_returned``), linked to the failed payout, when the failed
  payout's payments were recorded: its one review is recorded with it when the failed-payout
  check has not done so yet (the source expands the failed payout), so nothing is posted
  again and nothing is reviewed twice;
* a ``payout_failed`` **review** when the failed payout failed before its payments were
  recorded at all (those payments are not on the ledger: the message says so), or when the
  failed payout could not be read.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from connector.domain import ItemKind, ItemStatus, NewItem
from connector.jobs import PollContext
from connector.money import ZERO, fmt, to_cents
from connector.records.stripe import FAILED_PAYOUT_SUFFIX, StripePayout, StripeTransaction
from connector.sources.stripe.payout_items import failed_payout_item

SOURCE = "stripe"


def record_failed_payouts(
    ctx: PollContext, payouts: list[dict[str, Any]], done: dict[str, int], *,
    account: str | None, counts: Counter[str],
) -> None:  # fmt: skip
    """Record one review for each failed payout whose payments were recorded as cleared."""
    practice_id = ctx.practice.id
    for payout in payouts:
        recorded = payout["id"] in done or bool(ctx.store.group_items(practice_id, payout["id"]))
        if not recorded:
            continue  # never seen paid: its payments were never recorded as cleared
        result = ctx.store.record(
            practice_id, SOURCE, [failed_payout_item(payout, account=account)]
        )
        if result.new_keys:
            counts["payouts_failed"] += 1
            counts["review"] += 1
            ctx.log.warning("stripe.payout.failed", payout=payout["id"],
                            failure_code=payout.get("failure_code"))  # fmt: skip


def link_returned_money(
    ctx: PollContext, items: list[NewItem], counts: Counter[str], account: str | None
) -> list[NewItem]:
    """The items with each ``payout_failure`` transaction linked to its failed payout (and the
    failed payout's review added when it is not recorded yet)."""
    linked: list[NewItem] = []
    for item in items:
        linked += _linked(ctx, item, counts, account) if _returns_payout(item) else [item]
    return linked


def _returns_payout(item: NewItem) -> bool:
    return item.kind is ItemKind.PAYOUT_FAILURE and bool(_record(item).failed_payout)


def _record(item: NewItem) -> StripeTransaction:
    """The transaction ``classify`` just built for ``item`` (read back from its JSON)."""
    return StripeTransaction.from_json(item.payload)


def _linked(
    ctx: PollContext, item: NewItem, counts: Counter[str], account: str | None
) -> list[NewItem]:
    record = _record(item)
    failed = str(record.failed_payout)
    practice_id = ctx.practice.id
    review: list[NewItem] = []
    if ctx.store.find_item(practice_id, f"{failed}{FAILED_PAYOUT_SUFFIX}") is None:
        detail = record.failed_payout_detail
        if not ctx.store.group_items(practice_id, failed) or detail is None:
            return [_unlinked(ctx, item, failed)]
        made = failed_payout_item(_as_payout(detail), account=account)
        review = [dataclasses.replace(made, payload=detail.to_json())]  # dates as Stripe gave
    counts["payout_failures_linked"] += 1
    ignored = dataclasses.replace(
        item, status=ItemStatus.IGNORED, review_reason=None, review_message=None,
        payload=dataclasses.replace(record, ignored_reason="payout_failure_returned").to_json(),
    )  # fmt: skip
    return [*review, ignored]


def _as_payout(detail: StripePayout) -> dict[str, Any]:
    """A payout object (as Stripe's API gives it) from its record (amount back to cents)."""
    return {
        "id": detail.payout, "amount": to_cents(detail.amount or ZERO),
        "arrival_date": None, "status": detail.status, "automatic": detail.automatic,
        "method": detail.payout_method, "failure_code": detail.failure_code,
        "failure_balance_transaction": detail.failure_balance_transaction,
        "currency": detail.currency, "created": None,
    }  # fmt: skip


def _unlinked(ctx: PollContext, item: NewItem, failed: str) -> NewItem:
    where = item.group_key
    if ctx.store.group_items(ctx.practice.id, failed):
        message = (f"Payout {failed} failed after its payments were recorded; Stripe returned "
                   f"{fmt(item.amount)} ({item.key}) and paid it again in payout {where}. The "
                   "payments stay posted; check the bank statement.")  # fmt: skip
    else:
        message = (f"Payout {failed} failed before the connector recorded its payments; Stripe "
                   f"returned {fmt(item.amount)} ({item.key}) and paid it again in payout "
                   f"{where}. Those payments are not on the ledger: post them by hand (the "
                   "Stripe dashboard lists the failed payout's transactions).")  # fmt: skip
    return dataclasses.replace(item, review_message=message)
