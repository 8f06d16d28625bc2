"""The posting queue's status changes (the ``PostingQueue`` role of
:class:`~connector.store.sql.SqlStore`): what is due, and posted / review / failed / dead /
ignored / requeued, each with its history row in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connector import jsonutil
from connector.domain import Item, ItemStatus
from connector.errors import PermanentError
from connector.store import requeue
from connector.store.base import Audit
from connector.store.rows import item_from_row
from connector.store.sql_core import INSERT_REVIEW, SqlCore, iso


class PostingTables(SqlCore):
    """Due items and every status change the posting run and ``requeue`` make."""

    def due_items(self, practice_id: str, now: dt.datetime, limit: int) -> list[Item]:
        """Received items, and failed ones whose retry time has come, oldest first."""
        return self._items(
            "SELECT * FROM items WHERE practice_id = ? AND (status = 'received' OR"
            " (status = 'failed' AND next_attempt_at <= ?)) ORDER BY id LIMIT ?",
            (practice_id, self.dialect.ts(now), limit),
        )

    def mark_posted(self, item_id: int, pms_ids: dict[str, Any], detail: dict[str, Any]) -> None:
        """Posted; store the PMS ids."""
        with self.dialect.transaction() as tx:
            self._set_status(tx, item_id, ItemStatus.POSTED, "item.posted",
                             {**detail, "pms_ids": pms_ids}, pms_ids=jsonutil.dumps(pms_ids),
                             last_error_code=None, last_error=None,
                             next_attempt_at=None)  # fmt: skip

    def mark_review(
        self, item_id: int, reason: str, message: str, details: dict[str, Any] | None = None
    ) -> int:
        """To the review queue (one open review per item: an older open one is superseded)."""
        with self.dialect.transaction() as tx:
            practice = self._set_status(
                tx, item_id, ItemStatus.REVIEW, "item.review", {"reason": reason, **(details or {})}
            )
            tx.run(
                "UPDATE reviews SET state = 'retried', closed_at = ? WHERE item_id = ?"
                " AND state = 'open'",
                (self._now(), item_id),
            )
            review = (
                item_id,
                practice,
                reason,
                message,
                jsonutil.dumps(details or {}),
                self._now(),
            )
            return int(tx.run(INSERT_REVIEW + " RETURNING id", review).fetchone()["id"])

    def mark_failed(
        self,
        item_id: int,
        code: str,
        message: str,
        next_attempt_at: dt.datetime,
        *,
        count_attempt: bool = True,
    ) -> None:
        """Count an attempt (unless ``count_attempt`` is False) and schedule the next one."""
        with self.dialect.transaction() as tx:
            if count_attempt:
                tx.run("UPDATE items SET attempts = attempts + 1 WHERE id = ?", (item_id,))
            detail = {"code": code, "message": message, "next_attempt_at": iso(next_attempt_at)}
            self._set_status(tx, item_id, ItemStatus.FAILED, "item.failed", detail,
                             last_error_code=code, last_error=message,
                             next_attempt_at=self.dialect.ts(next_attempt_at))  # fmt: skip

    def mark_dead(self, item_id: int, code: str, message: str) -> None:
        """Give up."""
        with self.dialect.transaction() as tx:
            tx.run("UPDATE items SET attempts = attempts + 1 WHERE id = ?", (item_id,))
            self._set_status(tx, item_id, ItemStatus.DEAD, "item.dead",
                             {"code": code, "message": message}, last_error_code=code,
                             last_error=message, next_attempt_at=None)  # fmt: skip

    def mark_ignored(self, item_id: int, reason: str) -> None:
        """Never to be posted."""
        with self.dialect.transaction() as tx:
            self._set_status(tx, item_id, ItemStatus.IGNORED, "item.ignored", {"reason": reason})

    def requeue_item(self, item_id: int, *, audit: Audit | None = None) -> Item:
        """Put a dead or failed item back to ``received`` (see the protocol); the item row is
        locked first, so a concurrent posting run or requeue cannot interleave."""
        with self.dialect.transaction() as tx:
            row = self._locked(tx, "items", item_id)
            if row is None:
                raise PermanentError(f"no item with id {item_id}", code="item_not_found")
            item = item_from_row(row)
            review = tx.run(
                "SELECT MAX(id) AS id FROM reviews WHERE item_id = ? AND state = 'open'",
                (item_id,),
            ).fetchone()
            refused = requeue.refusal(item, review["id"])
            if refused is not None:
                raise refused
            self._set_status(tx, item_id, ItemStatus.RECEIVED, requeue.EVENT,
                             requeue.requeued_detail(item), attempts=0, next_attempt_at=None,
                             last_error_code=None, last_error=None)  # fmt: skip
            self._audit(tx, item_id, item.practice_id, audit)
        return self._must_get(item_id)

    def save_progress(self, item_id: int, progress: dict[str, Any]) -> None:
        """Remember finished steps of a multi-step write."""
        with self.dialect.transaction() as tx:
            row = tx.run(
                "UPDATE items SET progress = ?, updated_at = ? WHERE id = ? RETURNING practice_id",
                (jsonutil.dumps(progress), self._now(), item_id),
            ).fetchone()
            if row is None:
                raise PermanentError(f"no item with id {item_id}", code="item_not_found")
            self._history(tx, item_id, row["practice_id"], "item.progress", None, None, progress)

    def add_history(
        self, item_id: int | None, practice_id: str, event: str, detail: dict[str, Any]
    ) -> None:
        """Append a decision to history."""
        with self.dialect.transaction() as tx:
            self._history(tx, item_id, practice_id, event, None, None, detail)
