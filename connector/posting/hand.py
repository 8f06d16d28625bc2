"""Which items in review staff entered by hand (their latest review resolved): one rule for the
planner (reversals of hand-entered payments) and the deposits (a payout or EFT is settled)."""

from __future__ import annotations

from connector.domain import Item, ItemStatus
from connector.store import StateStore

LINKED = "linked_hand_entry"
"""``pms_ids`` key of a payment staff linked to a PMS row they had entered by hand."""


def resolved_by_hand(store: StateStore, practice_id: str, items: list[Item]) -> frozenset[int]:
    """Ids of ``items`` staff entered by hand: still in review with their latest review
    resolved, or linked to the PMS row staff had keyed in (``connector review link``)."""
    linked = {i.id for i in items if i.status is ItemStatus.POSTED and LINKED in i.pms_ids}
    waiting = {i.id for i in items if i.status is ItemStatus.REVIEW}
    if not waiting:
        return frozenset(linked)
    latest: dict[int, str] = {}
    for entry in store.list_reviews(practice_id, state="all"):  # newest first
        if entry.item_id in waiting:
            latest.setdefault(entry.item_id, entry.state)
    return frozenset(linked | {i for i, state in latest.items() if state == "resolved"})
