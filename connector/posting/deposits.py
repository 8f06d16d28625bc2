"""A PMS deposit per paid Stripe payout, once every one of its transactions is settled.

* **When.** At the start of each posting run, :func:`record_ready_deposits` looks at the
  payouts recorded in the last :data:`LOOKBACK` and records one ``deposit`` item (key
  ``deposit:<po_…>``) for each payout whose own bank transfer is recorded and whose money items
  are all settled: posted, ignored, or in review and resolved by staff (entered by hand). A
  payout that failed after being paid gets none. Recording is idempotent by key.
* **What.** :func:`plan_deposit` groups the PMS ids of every posted item of the payout
  (payments, refunds, reversals) into a :class:`~connector.domain.DepositPlan` equal to the
  payout's bank amount, dated the payout's arrival date, its marker ``[connector deposit:po_…]``
  in the PMS row; items entered by hand are named in the memo.
* **Where the PMS has no sanctioned deposit write** (an adapter without
  :class:`~adapters.books.Deposits`, or an Open Dental below 25.4.33) the item ends ``ignored``
  (``deposit_slip``) and ``connector report deposits`` prints the deposit slip to enter.

The arrival date is Stripe's ``arrival_date`` read as a UTC calendar date (as ``report
payouts`` shows it): Stripe states it as the day the money arrives, and converting its midnight
timestamp to a US time zone would move it a day back. Unverified against live payouts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from adapters.base import Ledger, marker_for
from adapters.books import Deposits
from connector.config import PracticeSettings
from connector.domain import DepositPlan, Item, ItemKind, ItemStatus, NewItem
from connector.money import to_money
from connector.posting import fields
from connector.posting.outcomes import Defer, Ignore, Planned
from connector.store import StateStore

LOOKBACK = dt.timedelta(days=45)
"""How far back (by recording time) payouts are looked at for a deposit still to write."""
SLIP = "deposit_slip"
_MONEY = frozenset({ItemKind.PATIENT_PAYMENT, ItemKind.REFUND, ItemKind.DISPUTE,
                    ItemKind.DISPUTE_WON, ItemKind.ACH_RETURN})  # fmt: skip


def deposit_key(payout: str) -> str:
    """The deposit item's key for a payout."""
    return f"deposit:{payout}"


def _payout_debit(items: Sequence[Item]) -> Item | None:
    return next((i for i in items if i.payload.get("type") == "payout"), None)


def unsettled(store: StateStore, practice_id: str, items: Sequence[Item]) -> list[Item]:
    """The payout's items that still wait: not posted or ignored, nor resolved by hand."""
    from connector.posting.planner import resolved_by_hand  # noqa: PLC0415 - planner imports us

    hand = resolved_by_hand(store, practice_id, list(items))
    return [
        i
        for i in items
        if i.kind is not ItemKind.DEPOSIT
        and i.status not in (ItemStatus.POSTED, ItemStatus.IGNORED)
        and i.id not in hand
    ]


def record_ready_deposits(store: StateStore, practice_id: str, now: dt.datetime) -> list[str]:
    """Record the deposit item of every settled payout that has none; returns the new keys."""
    new: list[NewItem] = []
    seen: set[str] = set()
    for debit in store.items_of_kind(practice_id, [ItemKind.STRIPE_OTHER.value], now - LOOKBACK):
        payout = debit.group_key
        if debit.payload.get("type") != "payout" or not payout or payout in seen:
            continue
        seen.add(payout)
        if store.find_item(practice_id, deposit_key(payout)) is not None:
            continue
        items = store.group_items(practice_id, payout)
        if any(i.kind is ItemKind.PAYOUT_FAILURE for i in items):
            continue  # the money did not reach the bank (or came back): nothing to deposit
        if unsettled(store, practice_id, items):
            continue
        payload = {
            "payout": payout,
            "source": "stripe",
            "payout_arrival_date": debit.payload.get("payout_arrival_date"),
            "bank_amount": str(-debit.amount),
            "account": debit.payload.get("account"),
        }
        new.append(NewItem(deposit_key(payout), ItemKind.DEPOSIT, payload, -debit.amount,
                           group_key=payout, related_key=payout))  # fmt: skip
    if not new:
        return []
    return list(store.record(practice_id, "stripe", new).new_keys)


def plan_deposit(
    item: Item, practice: PracticeSettings, store: StateStore, ledger: Ledger
) -> Planned:
    """The deposit of one payout, a wait while an item is unsettled again, or the slip.

    Raises:
        DataError: the payload is unusable. TransientError: the PMS cannot be read.
    """
    payout = fields.text(item.payload, "payout", required=True) or ""
    items = [i for i in store.group_items(practice.id, payout) if i.kind is not ItemKind.DEPOSIT]
    waiting = unsettled(store, practice.id, items)
    decision: dict[str, Any] = {"payout": payout, "bank_amount": str(item.amount)}
    if waiting:
        keys = ", ".join(i.key for i in waiting)
        return Planned(Defer("deposit_waiting", f"payout {payout} still waits for {keys}"),
                       decision)  # fmt: skip
    if not (isinstance(ledger, Deposits) and ledger.supports_deposits()):
        return Planned(Ignore(SLIP), {**decision, "slip": True})
    posted = [i for i in items if i.status is ItemStatus.POSTED and i.pms_ids]
    hand = [i.key for i in items if i.status is ItemStatus.REVIEW]
    day = fields.date(item.payload, "payout_arrival_date") or item.created_at.date()
    memo = f"Stripe payout {payout}: {len(posted)} postings"
    if hand:
        memo += f"; entered by hand: {', '.join(hand)}"
    plan = DepositPlan(
        external_ref=item.key,
        marker=marker_for(item.key),
        date=day,
        amount=to_money(str(item.amount)),
        entries=tuple(dict(i.pms_ids) for i in posted),
        memo=memo,
    )
    return Planned(plan, decision)


def deposit_notice(ledger: Ledger, version: str | None) -> str:
    """What ``check-config`` says about deposits for this PMS (``version`` from its ping).

    Raises:
        TransientError: the PMS cannot be read now.
    """
    if isinstance(ledger, Deposits) and ledger.supports_deposits():
        return "ok: a deposit per paid payout is written to the PMS"
    why = (
        f"{ledger.vendor} {version or ''} has no deposit write before 25.4.33 (POST /deposits)"
        if isinstance(ledger, Deposits)
        else f"{ledger.vendor} has no sanctioned deposit write (docs/vendors/)"
    )
    return f"note: {why}; deposit slips are in `connector report deposits`"
