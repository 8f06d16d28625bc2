"""Recording items from the sources and reading them back (the ``ItemRecorder`` and
``ItemReader`` roles of :class:`~connector.store.sql.SqlStore`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from connector import jsonutil
from connector.domain import Item, ItemStatus, NewItem
from connector.money import to_cents
from connector.store.base import HistoryEntry, RecordResult
from connector.store.rows import RowLike, when
from connector.store.sql_core import INSERT_HISTORY, INSERT_REVIEW, SqlCore

_INSERT_ITEM = (
    "INSERT INTO items (practice_id, source, key, kind, status, amount_cents, payload,"
    " group_key, related_key, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT (practice_id, key) DO NOTHING RETURNING id"
)


class ItemTables(SqlCore):
    """Items, their cursors and their history: recorded once, read by key, group or kind."""

    # -- recording ------------------------------------------------------------------------
    def record(
        self,
        practice_id: str,
        source: str,
        items: Sequence[NewItem],
        cursor: dict[str, Any] | None = None,
    ) -> RecordResult:
        """Insert unknown items, their reviews and history, and the cursor, in one transaction."""
        now = self._now()
        rows = [
            (practice_id, source, item.key, item.kind.value, item.status.value,
             to_cents(item.amount), jsonutil.dumps(item.payload), item.group_key,
             item.related_key, now, now)
            for item in items
        ]  # fmt: skip
        with self.dialect.transaction() as tx:
            ids = tx.insert_ids(_INSERT_ITEM, rows) if rows else []
            fresh = [(item, i) for item, i in zip(items, ids, strict=True) if i is not None]
            if fresh:
                tx.run_many(INSERT_HISTORY, [
                    (item_id, practice_id, now, "item.recorded", None, item.status.value,
                     jsonutil.dumps({"kind": item.kind.value, "amount": str(item.amount)}))
                    for item, item_id in fresh
                ])  # fmt: skip
            reviews = [(item, i) for item, i in fresh if item.status is ItemStatus.REVIEW]
            if reviews:
                tx.run_many(INSERT_REVIEW, [
                    (item_id, practice_id, item.review_reason or "review",
                     item.review_message or "needs review", "{}", now)
                    for item, item_id in reviews
                ])  # fmt: skip
            if cursor is not None:
                tx.run(
                    "INSERT INTO cursors (practice_id, source, value, updated_at) VALUES (?,?,?,?)"
                    " ON CONFLICT (practice_id, source) DO UPDATE SET value = excluded.value,"
                    " updated_at = excluded.updated_at",
                    (practice_id, source, jsonutil.dumps(cursor), now),
                )
        return RecordResult(tuple(item.key for item, _ in fresh), len(items) - len(fresh))

    def get_cursor(self, practice_id: str, source: str) -> dict[str, Any] | None:
        """The stored cursor (JSON object) or None."""
        with self.dialect.reading() as db:
            row = db.run(
                "SELECT value FROM cursors WHERE practice_id = ? AND source = ?",
                (practice_id, source),
            ).fetchone()
        return dict(jsonutil.loads(row["value"])) if row else None

    # -- reading --------------------------------------------------------------------------
    def find_item(self, practice_id: str, key: str) -> Item | None:
        """One item by external key."""
        found = self._items(
            "SELECT * FROM items WHERE practice_id = ? AND key = ?", (practice_id, key)
        )
        return found[0] if found else None

    def related_items(self, practice_id: str, related_key: str) -> list[Item]:
        """Items naming ``related_key``."""
        return self._items(
            "SELECT * FROM items WHERE practice_id = ? AND related_key = ? ORDER BY id",
            (practice_id, related_key),
        )

    def group_items(self, practice_id: str, group_key: str) -> list[Item]:
        """Items of one payout or remittance."""
        return self._items(
            "SELECT * FROM items WHERE practice_id = ? AND group_key = ? ORDER BY id",
            (practice_id, group_key),
        )

    def items_of_kind(
        self,
        practice_id: str,
        kinds: Sequence[str],
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[Item]:
        """Items of the given kinds recorded in ``[since, until)``, oldest first."""
        if not kinds:
            return []
        sql = f"SELECT * FROM items WHERE practice_id = ? AND kind IN ({_marks(kinds)})"  # noqa: S608 - placeholders only
        params: list[Any] = [practice_id, *kinds]
        if since is not None:
            sql, params = sql + " AND created_at >= ?", [*params, self.dialect.ts(since)]
        if until is not None:
            sql, params = sql + " AND created_at < ?", [*params, self.dialect.ts(until)]
        return self._items(sql + " ORDER BY id", params)

    def items_with_status(self, status: ItemStatus, practice_id: str | None = None) -> list[Item]:
        """Items in ``status`` (of one practice, or all), by practice then oldest first."""
        sql, params = "SELECT * FROM items WHERE status = ?", [status.value]
        if practice_id is not None:
            sql, params = sql + " AND practice_id = ?", [*params, practice_id]
        return self._items(sql + " ORDER BY practice_id, id", params)

    def history(self, item_id: int) -> list[HistoryEntry]:
        """The item's history, oldest first."""
        with self.dialect.reading() as db:
            rows = db.run("SELECT * FROM history WHERE item_id = ? ORDER BY id", (item_id,))
            return [_history_entry(row) for row in rows.fetchall()]


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" for _ in values)


def _history_entry(row: RowLike) -> HistoryEntry:
    return HistoryEntry(
        id=row["id"],
        item_id=row["item_id"],
        practice_id=row["practice_id"],
        at=when(row["at"]),
        event=row["event"],
        from_status=row["from_status"],
        to_status=row["to_status"],
        detail=jsonutil.loads(row["detail"]),
    )
