"""The review queue (the ``ReviewQueue`` role of :class:`~connector.store.sql.SqlStore`):
listing reviews, and staff resolving one or retrying its item."""

from __future__ import annotations

from connector.domain import Item, ItemStatus
from connector.errors import PermanentError
from connector.store.base import Audit, Review
from connector.store.dialect import Session
from connector.store.rows import RowLike, review_from_row
from connector.store.sql_core import SqlCore

_REVIEW_SELECT = (
    "SELECT r.*, i.key AS item_key, i.kind AS item_kind, i.amount_cents AS amount_cents"
    " FROM reviews r JOIN items i ON i.id = r.item_id"
)


class ReviewTables(SqlCore):
    """Review entries: read, resolved or retried (each signed in the same transaction)."""

    def list_reviews(
        self, practice_id: str | None = None, reason: str | None = None, state: str = "open"
    ) -> list[Review]:
        """Review entries (``state='all'`` for every state), newest first."""
        where, params = [], []
        for column, value in (("state", None if state == "all" else state),
                              ("practice_id", practice_id), ("reason", reason)):  # fmt: skip
            if value:
                where.append(f"r.{column} = ?")
                params.append(value)
        sql = _REVIEW_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        with self.dialect.reading() as db:
            rows = db.run(sql + " ORDER BY r.id DESC", params).fetchall()
        return [review_from_row(row) for row in rows]

    def get_review(self, review_id: int) -> Review | None:
        """One review entry."""
        with self.dialect.reading() as db:
            row = db.run(_REVIEW_SELECT + " WHERE r.id = ?", (review_id,)).fetchone()
        return review_from_row(row) if row else None

    def _open_review(self, tx: Session, review_id: int) -> RowLike:
        row = self._locked(tx, "reviews", review_id)
        if row is None or row["state"] != "open":
            raise PermanentError(f"no open review with id {review_id}", code="review_not_open")
        return row  # type: ignore[no-any-return]

    def resolve_review(self, review_id: int, note: str, *, audit: Audit | None = None) -> None:
        """Close as handled by staff."""
        with self.dialect.transaction() as tx:
            row = self._open_review(tx, review_id)
            tx.run(
                "UPDATE reviews SET state = 'resolved', closed_at = ?, resolution_note = ?"
                " WHERE id = ?",
                (self._now(), note, review_id),
            )
            self._history(tx, row["item_id"], row["practice_id"], "review.resolved", None, None,
                          {"review_id": review_id, "note": note})  # fmt: skip
            self._audit(tx, row["item_id"], row["practice_id"], audit)

    def retry_review(self, review_id: int, *, audit: Audit | None = None) -> Item:
        """Close the entry and requeue its item."""
        with self.dialect.transaction() as tx:
            row = self._open_review(tx, review_id)
            tx.run(
                "UPDATE reviews SET state = 'retried', closed_at = ? WHERE id = ?",
                (self._now(), review_id),
            )
            self._set_status(tx, row["item_id"], ItemStatus.RECEIVED, "review.retried",
                             {"review_id": review_id}, next_attempt_at=None)  # fmt: skip
            self._audit(tx, row["item_id"], row["practice_id"], audit)
        return self._must_get(int(row["item_id"]))
