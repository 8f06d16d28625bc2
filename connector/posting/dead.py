"""Dead items in plain words: why the connector gave up on an item and what staff do next.

An item dies on a permanent error (the PMS or the plan can never take it as it is) or after
``posting.max_attempts`` transient failures. It then waits for a person exactly like a review
does, so ``connector review`` (and the staff console) lists it beside the reviews, with the
error code as its reason and the action to take:

* fix the cause, then ``connector requeue ITEM_ID`` (the item is planned again; it cannot post
  twice, the PMS row's marker is looked for first); or
* enter it by hand in the PMS, then ``connector review dismiss ITEM_ID --note TEXT`` (the item
  becomes ``ignored`` with the note in its history).

Only ids, codes and amounts are shown; the stored error text was scrubbed when it was stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connector.domain import Item, ItemStatus
from connector.store import StateStore

REQUEUE = "then `connector requeue {item_id}`"
BY_HAND = "enter it by hand in the PMS, then `connector review dismiss {item_id} --note TEXT`"


@dataclass(frozen=True)
class DeadReason:
    """What a dead item's error code means and what to do.

    Attributes:
        title: a few words for lists.
        action: what staff do; ``{item_id}`` is filled in.
        requeue_helps: whether ``connector requeue`` can post it once the cause is fixed
            (False: the connector cannot write it at all; it is entered by hand).
    """

    title: str
    action: str
    requeue_helps: bool = True


_GENERIC = DeadReason(
    "gave up",
    f"Fix the cause named in the message, {REQUEUE}; or {BY_HAND}.",
)
_GAVE_UP = DeadReason(
    "kept failing",
    "The PMS kept refusing or timing out on this item: check the PMS (and the message), "
    f"{REQUEUE}; or {BY_HAND}.",
)
_DEAD_REASONS: dict[str, DeadReason] = {
    "not_implemented": DeadReason(
        "cannot be written to this PMS",
        f"The connector does not write this to this PMS: {BY_HAND}.",
        requeue_helps=False,
    ),
    "writeoff_type_missing": DeadReason(
        "write-off adjustment type missing",
        "Create the insurance write-off adjustment type in the PMS (or configure its id), "
        f"{REQUEUE}.",
    ),
    "insurance_refund_type_missing": DeadReason(
        "insurance refund adjustment type missing",
        "Create the insurance refund adjustment type in the PMS (Dentrix: a '+' type named like "
        f"'Ins Over-pmt Refund'; Eaglesoft: 'Insurance Refund'), {REQUEUE}; then "
        "`connector retry` the corrected claim's review (claim_already_received) if it waited.",
    ),
    "refund_type_invalid": DeadReason(
        "refund adjustment type unusable",
        f"Configure a debit ('+') adjustment type for refunds, {REQUEUE}.",
    ),
    "unknown_payment_type": DeadReason(
        "payment type not in the PMS",
        f"Fix the payment type in the configuration (connector check-config), {REQUEUE}.",
    ),
    "unknown_type": DeadReason(
        "type not in the PMS",
        f"Fix the payment or adjustment type in the configuration, {REQUEUE}.",
    ),
    "plan_invalid": DeadReason(
        "plan refused",
        f"Report it to support with the item id; {BY_HAND}.",
        requeue_helps=False,
    ),
    "plan_splits_mismatch": DeadReason(
        "plan refused",
        f"Report it to support with the item id; {BY_HAND}.",
        requeue_helps=False,
    ),
    "eaglesoft_write_not_authenticated": DeadReason(
        "Eaglesoft refused the write",
        "Check the Eaglesoft partner authentication in the configuration, " + REQUEUE + ".",
    ),
}


def describe_dead(item: Item) -> DeadReason:
    """The meaning of ``item``'s last error code (a generic one for codes not listed)."""
    code = item.last_error_code or ""
    if code in _DEAD_REASONS:
        return _DEAD_REASONS[code]
    if (item.last_error or "").startswith("gave up after"):
        return _GAVE_UP
    return _GENERIC


@dataclass(frozen=True)
class DeadEntry:
    """One dead item as the review list shows it."""

    item_id: int
    practice_id: str
    item_kind: str
    item_key: str
    amount: str
    reason: str  # the error code, e.g. not_implemented
    title: str
    message: str
    action: str
    requeue_helps: bool
    died_at: dt.datetime


def dead_entry(item: Item) -> DeadEntry:
    """``item`` (dead) as a :class:`DeadEntry`."""
    meaning = describe_dead(item)
    return DeadEntry(
        item_id=item.id,
        practice_id=item.practice_id,
        item_kind=item.kind.value,
        item_key=item.key,
        amount=str(item.amount),
        reason=item.last_error_code or "unknown",
        title=meaning.title,
        message=item.last_error or "no message was stored",
        action=meaning.action.format(item_id=item.id),
        requeue_helps=meaning.requeue_helps,
        died_at=item.updated_at,
    )


def dead_entries(
    store: StateStore, practice_id: str | None = None, reason: str | None = None
) -> list[DeadEntry]:
    """Every dead item (of one practice, with one error code), newest first."""
    items = store.items_with_status(ItemStatus.DEAD, practice_id)
    entries = [dead_entry(i) for i in items if reason is None or i.last_error_code == reason]
    return sorted(entries, key=lambda e: (e.died_at, e.item_id), reverse=True)
