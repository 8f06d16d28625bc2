"""What every part of :class:`~connector.store.sql.SqlStore` shares: the engine, the clock, the
item row lock, the status change and the history row that records it.

Every query here and in the role mixins (``sql_items``, ``sql_posting``, ``sql_reviews``,
``sql_polls``) is written once with ``?`` placeholders; the engine's
:class:`~connector.store.dialect.Dialect` supplies transactions, placeholders, timestamps and
row locks. Every time the store writes comes from the injected clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from connector import jsonutil
from connector.clock import Clock
from connector.domain import Item, ItemStatus
from connector.errors import PermanentError
from connector.store.base import Audit
from connector.store.dialect import Dialect, Session
from connector.store.rows import item_from_row

INSERT_HISTORY = (
    "INSERT INTO history (item_id, practice_id, at, event, from_status, to_status, detail)"
    " VALUES (?,?,?,?,?,?,?)"
)
INSERT_REVIEW = (
    "INSERT INTO reviews (item_id, practice_id, reason, message, details, created_at)"
    " VALUES (?,?,?,?,?,?)"
)


def iso(value: dt.datetime) -> str:
    """ISO-8601 text in UTC (how times appear inside history details)."""
    return value.astimezone(dt.UTC).isoformat()


class SqlCore:
    """The engine and clock of a SQL store, and the helpers its role mixins share."""

    dialect: Dialect  # set by SqlStore
    clock: Clock  # set by SqlStore

    def _now(self) -> Any:
        return self.dialect.ts(self.clock.now())

    def _items(self, sql: str, params: Sequence[Any]) -> list[Item]:
        with self.dialect.reading() as db:
            return [item_from_row(row) for row in db.run(sql, params).fetchall()]

    def get_item(self, item_id: int) -> Item | None:
        """One item by id."""
        found = self._items("SELECT * FROM items WHERE id = ?", (item_id,))
        return found[0] if found else None

    def _must_get(self, item_id: int) -> Item:
        found = self.get_item(item_id)
        assert found is not None
        return found

    def _set_status(
        self,
        tx: Session,
        item_id: int,
        status: ItemStatus,
        event: str,
        detail: dict[str, Any],
        **columns: Any,
    ) -> str:
        row = self._locked(tx, "items", item_id)
        if row is None:
            raise PermanentError(f"no item with id {item_id}", code="item_not_found")
        sets = "".join(f", {name} = ?" for name in columns)  # our own column names
        query = f"UPDATE items SET status = ?, updated_at = ?{sets} WHERE id = ?"  # noqa: S608 - names are ours
        tx.run(query, (status.value, self._now(), *columns.values(), item_id))
        self._history(tx, item_id, row["practice_id"], event, row["status"], status, detail)
        return str(row["practice_id"])

    def _locked(self, tx: Session, table: str, row_id: int) -> Any:
        """The row, locked for the rest of the transaction where the engine locks rows."""
        assert table in ("items", "reviews")
        sql = f"SELECT * FROM {table} WHERE id = ?{self.dialect.for_update}"  # noqa: S608 - fixed names
        return tx.run(sql, (row_id,)).fetchone()

    def _history(
        self,
        tx: Session,
        item_id: int | None,
        practice_id: str,
        event: str,
        from_status: str | None,
        to_status: str | None,
        detail: dict[str, Any],
    ) -> None:
        tx.run(INSERT_HISTORY, (item_id, practice_id, self._now(), event, from_status,
                                to_status, jsonutil.dumps(detail)))  # fmt: skip

    def _audit(self, tx: Session, item_id: int, practice_id: str, audit: Audit | None) -> None:
        if audit is not None:
            self._history(tx, item_id, practice_id, audit.event, None, None, audit.detail)
