"""A PMS deposit per paid Stripe payout and per insurance EFT, once everything in it is settled.

Insurance EFTs (issue #18 item 3) work the same way: one ``deposit:era:<payer>:<TRN02>`` item
per payer and trace once its remittances are recorded and all their claims and provider-level
adjustments are settled, equal to Σ BPR02 (one remittance, or several paid as one lump sum),
dated the BPR16 payment date, grouping the insurance checks of its posted claims and
adjustments. Checks Open Dental marks partial (``IsPartial``) or $0 cannot be on a deposit: the
adapter leaves them out and names them (``left_out_checks``).

* **When.** At the start of each posting run and once its queue is empty (so the run that posts
  a payout's last item writes its deposit too), :func:`record_ready_deposits` looks at the
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
from connector.errors import DataError
from connector.money import ZERO, to_money
from connector.posting.hand import resolved_by_hand
from connector.posting.outcomes import Defer, Ignore, Planned
from connector.records.deposit import EftDeposit, PayoutDeposit, deposit_record
from connector.records.era_remittance import EraRemittance
from connector.records.fields import invalid
from connector.records.stripe import StripeTransaction, readable_transaction
from connector.store import StateStore

LOOKBACK = dt.timedelta(days=45)
"""How far back (by recording time) payouts are looked at for a deposit still to write."""
SLIP = "deposit_slip"
_ERA_MONEY = frozenset({ItemKind.ERA_CLAIM, ItemKind.ERA_PLB})
_MONEY = frozenset({ItemKind.PATIENT_PAYMENT, ItemKind.REFUND, ItemKind.DISPUTE,
                    ItemKind.DISPUTE_WON, ItemKind.ACH_RETURN})  # fmt: skip


def deposit_key(payout: str) -> str:
    """The deposit item's key for a payout."""
    return f"deposit:{payout}"


def _payout_debit(items: Sequence[Item]) -> Item | None:
    return next((i for i in items if _debit(i) is not None), None)


def _debit(item: Item) -> StripeTransaction | None:
    """The payout's own debit transaction, if ``item`` is it (an unreadable payload is not)."""
    found = readable_transaction(item)
    return found if found is not None and found.is_payout_debit else None


def unsettled(store: StateStore, practice_id: str, items: Sequence[Item]) -> list[Item]:
    """The payout's items that still wait: not posted or ignored, nor resolved by hand."""
    hand = resolved_by_hand(store, practice_id, list(items))
    return [
        i
        for i in items
        if i.kind is not ItemKind.DEPOSIT
        and i.status not in (ItemStatus.POSTED, ItemStatus.IGNORED)
        and i.id not in hand
    ]


def record_ready_deposits(
    store: StateStore,
    practice_id: str,
    now: dt.datetime,
    *,
    payouts: bool = True,
    efts: bool = True,
) -> list[str]:
    """Record the deposit item of every settled payout (``payouts``) and insurance EFT
    (``efts``) that has none; returns the new keys."""
    new: list[NewItem] = []
    seen: set[str] = set()
    debits = (
        store.items_of_kind(practice_id, [ItemKind.STRIPE_OTHER.value], now - LOOKBACK)
        if payouts
        else []
    )
    for debit in debits:
        payout = debit.group_key
        txn = _debit(debit)
        if txn is None or not payout or payout in seen:
            continue
        seen.add(payout)
        if store.find_item(practice_id, deposit_key(payout)) is not None:
            continue
        items = store.group_items(practice_id, payout)
        if any(i.kind is ItemKind.PAYOUT_FAILURE for i in items):
            continue  # the money did not reach the bank (or came back): nothing to deposit
        if unsettled(store, practice_id, items):
            continue
        payload = PayoutDeposit(
            payout, txn.payout_arrival_date, -debit.amount, txn.account
        ).to_json()
        new.append(NewItem(deposit_key(payout), ItemKind.DEPOSIT, payload, -debit.amount,
                           group_key=payout, related_key=payout))  # fmt: skip
    keys = list(store.record(practice_id, "stripe", new).new_keys) if new else []
    return keys + (record_ready_eft_deposits(store, practice_id, now) if efts else [])


def eft_deposit_key(payer: str, trace: str) -> str:
    """The deposit item's key for an insurance EFT (payer + TRN02)."""
    return f"deposit:era:{payer}:{trace}"


def record_ready_eft_deposits(store: StateStore, practice_id: str, now: dt.datetime) -> list[str]:
    """Record one deposit item per insurance EFT (payer + TRN02) whose remittances are all
    recorded and whose claims and provider-level adjustments are all settled; its amount is
    Σ BPR02 of those remittances (one, or several paid as a lump sum). Returns the new keys."""
    groups: dict[tuple[str, str], list[Item]] = {}
    dates: dict[tuple[str, str], dt.date | None] = {}
    for rem in store.items_of_kind(practice_id, [ItemKind.ERA_REMITTANCE.value], now - LOOKBACK):
        try:
            remittance = EraRemittance.from_json(rem.payload)
        except DataError:
            continue  # no trace to group it by: it is in review for its payload
        if remittance.test:
            continue
        payer = remittance.payer_id or remittance.payer_name or ""
        groups.setdefault((payer, remittance.trace), []).append(rem)
        dates.setdefault((payer, remittance.trace), remittance.payment_date)
    new: list[NewItem] = []
    for (payer, trace), remittances in groups.items():
        key = eft_deposit_key(payer, trace)
        amount = sum((r.amount for r in remittances), ZERO)
        if amount <= ZERO or store.find_item(practice_id, key) is not None:
            continue
        if any(r.status is not ItemStatus.IGNORED for r in remittances):
            continue  # in review (unbalanced, test file) or not planned yet
        members = [i for r in remittances for i in store.group_items(practice_id, r.key)]
        if unsettled(store, practice_id, [i for i in members if i.kind in _ERA_MONEY]):
            continue
        payload = EftDeposit(
            payer, trace, dates[payer, trace], tuple(r.key for r in remittances), amount
        ).to_json()
        new.append(NewItem(key, ItemKind.DEPOSIT, payload, amount, related_key=trace))
    return list(store.record(practice_id, "era", new).new_keys) if new else []


def members_of(store: StateStore, practice_id: str, deposit: Item) -> list[Item]:
    """The money items a deposit groups: the payout's, or the EFT's claims and adjustments.

    Raises:
        DataError: the deposit's payload is unusable.
    """
    record = deposit_record(deposit.payload)
    if isinstance(record, EftDeposit):
        items = [i for k in record.remittances for i in store.group_items(practice_id, k)]
        return [i for i in items if i.kind in _ERA_MONEY]
    payout = str(record.payout or deposit.group_key)
    return [i for i in store.group_items(practice_id, payout) if i.kind is not ItemKind.DEPOSIT]


def plan_deposit(
    item: Item, practice: PracticeSettings, store: StateStore, ledger: Ledger
) -> Planned:
    """The deposit of one payout, a wait while an item is unsettled again, or the slip.

    Raises:
        DataError: the payload is unusable. TransientError: the PMS cannot be read.
    """
    record = deposit_record(item.payload)
    if isinstance(record, EftDeposit):
        what = f"EFT {record.trace}"
    elif record.payout:
        what = f"Stripe payout {record.payout}"
    else:
        raise invalid("payout", "is missing")
    items = members_of(store, practice.id, item)
    waiting = unsettled(store, practice.id, items)
    decision: dict[str, Any] = {"deposit_of": what, "bank_amount": str(item.amount)}
    if waiting:
        keys = ", ".join(i.key for i in waiting)
        return Planned(Defer("deposit_waiting", f"{what} still waits for {keys}"), decision)
    if not (isinstance(ledger, Deposits) and ledger.supports_deposits()):
        return Planned(Ignore(SLIP), {**decision, "slip": True})
    posted = [i for i in items if i.status is ItemStatus.POSTED and i.pms_ids]
    hand = [i.key for i in items if i.status is ItemStatus.REVIEW]
    day = record.paid_on or item.created_at.date()
    memo = f"{what}: {len(posted)} postings"
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
