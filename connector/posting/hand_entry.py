"""Staff's two answers to a ``possible_hand_entry`` review (CLI today, the console later).

* **Same payment — link it** (:func:`link`): the item is recorded as posted, its ``pms_ids``
  pointing at the PMS row staff keyed in (``linked_hand_entry``); nothing is written to the PMS.
  A later refund or dispute of it goes to review as a reversal of a hand entry.
* **Another payment — post anyway** (:func:`post_anyway`): the item is planned again with the
  hand-entry check skipped for it (the flag stays in its progress, so a crash cannot lose it).

Both leave their trace in the item's history.
"""

from __future__ import annotations

from typing import Any

from connector.domain import Item
from connector.errors import PermanentError
from connector.posting.hand import LINKED
from connector.posting.planner import POST_ANYWAY
from connector.store import StateStore
from connector.store.base import Review

REASON = "possible_hand_entry"


def _open_hand_entry(store: StateStore, review_id: int) -> Review:
    entry = store.get_review(review_id)
    if entry is None:
        raise PermanentError(f"no review with id {review_id}", code="review_not_found")
    if entry.reason != REASON or entry.state != "open":
        raise PermanentError(
            f"review #{review_id} is not an open '{REASON}' review ({entry.reason}, "
            f"{entry.state})", code="review_not_hand_entry",
        )  # fmt: skip
    return entry


def link(store: StateStore, review_id: int, note: str | None = None) -> dict[str, Any]:
    """Record the item as posted by pointing at the PMS row found; returns its ``pms_ids``.

    Raises:
        PermanentError: no such open ``possible_hand_entry`` review, or no PMS row in it.
    """
    entry = _open_hand_entry(store, review_id)
    pms_id = entry.details.get("pms_id")
    if not pms_id:
        raise PermanentError(f"review #{review_id} names no PMS payment", code="review_invalid")
    pms_ids = {LINKED: str(pms_id), "patient_id": entry.details.get("pms_patient")}
    text = note or f"same payment as PMS payment {pms_id}, entered by hand"
    # posted first: a crash between the two leaves an open review on a posted item, which
    # running the command again closes; never a payment written twice
    store.mark_posted(entry.item_id, pms_ids, {"linked_by_review": review_id, "note": text})
    store.resolve_review(entry.id, text)
    return pms_ids


def post_anyway(store: StateStore, review_id: int) -> Item:
    """Requeue the item with the hand-entry check off for it; returns the item as requeued.

    Raises:
        PermanentError: no such open ``possible_hand_entry`` review.
    """
    entry = _open_hand_entry(store, review_id)
    item = store.get_item(entry.item_id)
    if item is None:
        raise PermanentError(f"review #{review_id} has no item", code="review_invalid")
    store.save_progress(item.id, {**item.progress, POST_ANYWAY: True})
    return store.retry_review(entry.id)
