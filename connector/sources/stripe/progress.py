"""The place inside a long payout, kept in the cursor so a later poll resumes there.

A payout is still recorded whole (one ``store.record`` with its items and the cursor), but
reading it may take several polls when Stripe rate-limits us or the service stops: after each
page but the last, the items classified so far and the id of the page's last transaction are
written into the cursor (``partial``). The next poll reads from ``starting_after`` that id
instead of page 1. Items are plain JSON here (amounts as strings); nothing is recorded or posted
until the last page is read, so posting order and payout reports never see half a payout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector.domain import ItemKind, ItemStatus, NewItem


def item_to_json(item: NewItem) -> dict[str, Any]:
    """A new item as JSON (payloads are JSON-safe already)."""
    return {
        "key": item.key, "kind": item.kind.value, "payload": item.payload,
        "amount": str(item.amount), "status": item.status.value, "group_key": item.group_key,
        "related_key": item.related_key, "review_reason": item.review_reason,
        "review_message": item.review_message,
    }  # fmt: skip


def item_from_json(data: dict[str, Any]) -> NewItem:
    """The new item :func:`item_to_json` wrote."""
    return NewItem(
        key=str(data["key"]), kind=ItemKind(data["kind"]), payload=dict(data["payload"]),
        amount=Decimal(str(data["amount"])), status=ItemStatus(data["status"]),
        group_key=data.get("group_key"), related_key=data.get("related_key"),
        review_reason=data.get("review_reason"), review_message=data.get("review_message"),
    )  # fmt: skip


@dataclass
class PayoutProgress:
    """The pages of one payout read so far.

    Attributes:
        payout: the ``po_…`` being read.
        after: the last transaction id read (``starting_after`` of the next page).
        pages: pages read so far.
        entries: ``(created, item)`` in Stripe's order (newest first); ``created`` is None for
            a transaction that could not be read (it sorts first, as in a whole read).
    """

    payout: str
    after: str | None = None
    pages: int = 0
    entries: list[tuple[int | None, NewItem]] = field(default_factory=list)

    def add_page(self, entries: list[tuple[int | None, NewItem]], last_id: str | None) -> None:
        """Append one page's classified items."""
        self.entries.extend(entries)
        self.after = last_id
        self.pages += 1

    def items(self) -> list[NewItem]:
        """Every item of the payout, oldest first (unreadable ones first), as a whole read."""
        ordered = list(reversed(self.entries))
        ordered.sort(key=lambda e: (e[0] is not None, e[0] or 0))
        return [item for _, item in ordered]

    def to_json(self) -> dict[str, Any]:
        """JSON for the cursor's ``partial`` field."""
        return {"payout": self.payout, "after": self.after, "pages": self.pages,
                "entries": [[c, item_to_json(i)] for c, i in self.entries]}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PayoutProgress:
        """The progress :meth:`to_json` wrote."""
        entries = [(None if c is None else int(c), item_from_json(i)) for c, i in data["entries"]]
        return cls(payout=str(data["payout"]), after=data.get("after"),
                   pages=int(data.get("pages") or 0), entries=entries)  # fmt: skip
