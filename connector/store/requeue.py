"""Which items may be put back in the posting queue, and what their ``item.requeued`` event says.

Shared by the SQLite and PostgreSQL stores so both refuse with the same codes and words.
Only ``dead`` items (given up) and ``failed`` ones (waiting out a backoff: "retry now") are
requeued. Everything else is refused with a :class:`~connector.errors.PermanentError` whose
code says why:

===============  ======================  ==================================================
status           code                    why
===============  ======================  ==================================================
``posted``       ``item_posted``         already in the PMS; requeueing could only duplicate
``review``       ``item_in_review``      ``connector retry <review id>`` closes the review too
``received``     ``item_queued``         already waiting for the posting job
``ignored``      ``item_ignored``        never posted by design (fees, netted reversals, …)
===============  ======================  ==================================================
"""

from __future__ import annotations

from typing import Any

from connector.domain import Item, ItemStatus
from connector.errors import PermanentError

REQUEUEABLE = frozenset({ItemStatus.DEAD, ItemStatus.FAILED})
EVENT = "item.requeued"


def refusal(item: Item, open_review_id: int | None) -> PermanentError | None:
    """The error to raise when ``item`` may not be requeued, or None when it may.

    ``open_review_id`` is the item's open review, if any (named in the ``review`` refusal).
    """
    if item.status in REQUEUEABLE:
        return None
    what = f"item #{item.id} ({item.kind.value} {item.key})"
    context = {"item_id": item.id, "status": item.status.value}
    if item.status is ItemStatus.POSTED:
        return PermanentError(
            f"{what} is already in the PMS (posted); requeueing it could only post it twice",
            code="item_posted",
            context=context,
        )
    if item.status is ItemStatus.REVIEW:
        if open_review_id is None:  # pragma: no cover - mark_review always opens one
            words = f"{what} is in review; see `connector review --practice {item.practice_id}`"
        else:
            words = (
                f"{what} is waiting in review #{open_review_id}; "
                f"use `connector retry {open_review_id}` after fixing the cause"
            )
            context["review_id"] = open_review_id
        return PermanentError(words, code="item_in_review", context=context)
    if item.status is ItemStatus.RECEIVED:
        return PermanentError(
            f"{what} is already waiting for the posting job; nothing to do",
            code="item_queued",
            context=context,
        )
    return PermanentError(
        f"{what} is ignored (recorded for completeness, never posted); nothing to do",
        code="item_ignored",
        context=context,
    )


def requeued_detail(item: Item) -> dict[str, Any]:
    """The ``item.requeued`` history detail: what the item was and why it had stopped."""
    return {
        "previous_status": item.status.value,
        "error_code": item.last_error_code,
        "error": item.last_error,
        "attempts": item.attempts,
    }
