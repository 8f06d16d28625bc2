"""Money that leaves after a payment was posted: refunds, disputes, ACH returns, payout failures.

A reversal finds its original payment through the charge id both carry (``related_key``):

* original **posted** → a :class:`ReversalPlan` linked to what was written for it (the adapter
  writes it the vendor's way: a negative payment, or a debit adjustment);
* original **not posted** (waiting, failed, in review, given up) → the two are *netted*: one
  review item with the net amount, and the original leaves the posting queue, so the ledger
  never gets a payment and its reversal as two entries. Before netting, the PMS is asked
  whether the original is there after all (a crash after the PMS commit), and if so the
  reversal is planned normally;
* original **never seen** → review ``reversal_unmatched``.

A dispute **won** re-posts the money as a new payment keyed by its own transaction, when the
dispute itself was posted as a reversal; otherwise it joins the net.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from adapters.base import Ledger, marker_for
from connector.config import WritebackSettings
from connector.domain import Item, ItemKind, ItemStatus, PostedEntry, ReversalPlan
from connector.money import total
from connector.posting import fields
from connector.posting.outcomes import Defer, NetReversal, Outcome
from connector.posting.patient_payments import (
    paid_at,
    plan_patient_payment,
    reference,
    transaction,
)
from connector.posting.reasons import review

_NEGATIVE = frozenset({ItemKind.REFUND, ItemKind.DISPUTE, ItemKind.ACH_RETURN})
_FOLLOW_UPS = _NEGATIVE | {ItemKind.DISPUTE_WON}
_WORDS = {
    ItemKind.REFUND: "refund",
    ItemKind.DISPUTE: "dispute (money withdrawn)",
    ItemKind.ACH_RETURN: "bank debit returned (ACH return)",
    ItemKind.DISPUTE_WON: "dispute won (money returned)",
}
_PENDING = frozenset({ItemStatus.RECEIVED, ItemStatus.FAILED})


def _state(item: Item) -> str:
    return {
        ItemStatus.RECEIVED: "waiting to post",
        ItemStatus.FAILED: "retrying after an error",
        ItemStatus.REVIEW: "in review",
        ItemStatus.DEAD: "given up after errors",
        ItemStatus.IGNORED: "already netted",
    }.get(item.status, item.status.value)


def _original(related: Sequence[Item]) -> Item | None:
    payments = [i for i in related if i.kind is ItemKind.PATIENT_PAYMENT]
    return payments[0] if payments else None


def _base(item: Item, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "what": _WORDS.get(item.kind, item.kind.value),
        "kind": _WORDS.get(item.kind, item.kind.value).capitalize(),
        "amount": item.amount,
        "reference": reference(item),
        "charge": item.related_key or transaction(item).original_charge or None,
        "date": paid_at(item).astimezone(tz).date(),
        "txn": item.key,
    }


def net_review(item: Item, original: Item, related: Sequence[Item]) -> NetReversal:
    """One review for an unposted payment and every unposted movement that followed it.

    Earlier netted movements of the same charge are closed into this review too, so exactly
    one review stays open per charge, showing the running net.
    """
    earlier = [
        i
        for i in related
        if i.kind in _FOLLOW_UPS
        and i.id != item.id
        and i.status is not ItemStatus.POSTED
        and i.id < item.id
    ]
    movements = [*earlier, item]
    described = ", ".join(f"{_WORDS[m.kind]} {m.amount} ({m.key})" for m in movements)
    net = original.amount + total(m.amount for m in movements)
    decision = review(
        "reversal_netted",
        original_amount=original.amount,
        original_reference=original.key,
        original_state=_state(original),
        reversals=described,
        net=net,
        original_item_id=original.id,
        netted_item_ids=[m.id for m in movements],
    )
    return NetReversal(review=decision, original=original, closes=(original, *earlier))


def plan_reversal(
    item: Item,
    related: Sequence[Item],
    writeback: WritebackSettings,
    ledger: Ledger,
    *,
    tz: ZoneInfo,
    hand_entered: frozenset[int] = frozenset(),
) -> Outcome:
    """Plan a refund, dispute or ACH return (``item``); ``related`` are the charge's items;
    ``hand_entered`` the ids of those whose review staff resolved (entered by hand).

    Raises:
        DataError: the payload is unusable. TransientError: from the ledger reads.
    """
    base = _base(item, tz)
    original = _original(related)
    if original is None:
        return review("reversal_unmatched", **base)
    if original.id in hand_entered:
        return review("reversal_of_hand_entry", **base, original_reference=original.key)
    posted: PostedEntry | None = None
    if original.status is ItemStatus.POSTED:
        posted = PostedEntry(original.key, original.pms_ids)
    elif original.status in _PENDING:
        posted = ledger.find_posting(original.key)  # healed on the original's own turn
    if posted is None:
        return net_review(item, original, related)
    if not writeback.enabled:
        return review(
            "writeback_disabled", **{**base, "patient_ref": transaction(original).patient_ref}
        )
    patient_ref = transaction(original).patient_ref or None
    if patient_ref is None:
        return review("reversal_unmatched", **base)
    wanted = writeback.refund_payment_type or writeback.payment_type
    pay_type = fields.find_type(ledger.payment_types(), wanted, ["payment"])
    if pay_type is None:
        return review("payment_type_unknown", **base, category="payment", wanted=wanted)
    adjustment_id = None
    if writeback.refund_adjustment_type:
        adjustment = fields.find_type(
            ledger.adjustment_types(), writeback.refund_adjustment_type, ["adjustment"]
        )
        if adjustment is None:
            return review(
                "payment_type_unknown",
                **base,
                category="adjustment",
                wanted=writeback.refund_adjustment_type,
            )
        adjustment_id = adjustment.id
    return ReversalPlan(
        external_ref=item.key,
        marker=marker_for(item.key),
        original_external_ref=original.key,
        original_pms_ids=dict(posted.pms_ids),
        patient_id=patient_ref,
        amount=abs(item.amount),
        date=base["date"],
        reason=item.kind.value,
        payment_type_id=pay_type.id,
        adjustment_type_id=adjustment_id,
        note=f"{base['what'].capitalize()} of {abs(item.amount):.2f} for {original.key} "
        f"(ref {base['reference']})",
    )


def plan_dispute_won(
    item: Item,
    related: Sequence[Item],
    writeback: WritebackSettings,
    ledger: Ledger,
    *,
    tz: ZoneInfo,
) -> Outcome:
    """Re-post a won dispute as a new payment when the dispute was posted; else net it.

    Raises:
        DataError, TransientError.
    """
    base = _base(item, tz)
    original = _original(related)
    disputes = [i for i in related if i.kind is ItemKind.DISPUTE and i.id < item.id]
    if original is None or not disputes:
        return review("reversal_unmatched", **base)
    dispute = disputes[-1]
    if dispute.status in _PENDING:
        return Defer("waiting_for_dispute", f"dispute {dispute.key} is not settled yet")
    if dispute.status is ItemStatus.POSTED:
        patient_ref = transaction(item).patient_ref or transaction(original).patient_ref or None
        return plan_patient_payment(item, writeback, ledger, tz=tz, patient_ref=patient_ref)
    return net_review(item, original, related)
