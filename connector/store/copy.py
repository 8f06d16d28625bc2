"""Copy the durable state from one store to another (SQLite → PostgreSQL, or back).

Tables are copied in key order with their ids, so review ids and history stay as the admin
knows them; timestamps travel as timezone-aware datetimes and JSON as the same text. Leases and
instance heartbeats are not copied (they belong to running instances). The target must be
empty; it is written in one transaction, so a failed copy leaves it empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

from connector.errors import PermanentError

TABLES = ("items", "cursors", "reviews", "history", "polls", "console_users", "console_secrets",
          "alerts_sent")  # fmt: skip
"""Copied tables, parents before children. Console sessions and sign-in failures are not
copied (everyone signs in again on the new store)."""

ORDER = {"items": "id", "reviews": "id", "history": "id", "console_users": "id",
         "console_secrets": "name", "alerts_sent": "practice_id, kind, period"}  # fmt: skip
IDENTITY_TABLES = ("items", "reviews", "history", "console_users")
"""Tables whose generated ids continue after the copied ones."""

TIMESTAMP_COLUMNS = frozenset(
    {"created_at", "updated_at", "next_attempt_at", "closed_at", "at", "last_started_at",
     "last_ok_at", "last_error_at", "sent_at"}
)  # fmt: skip

Rows = Iterable[dict[str, Any]]


@runtime_checkable
class Copyable(Protocol):
    """A store that can export and import its tables."""

    def export_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of ``table`` in primary-key order; timestamps as aware datetimes."""

    def import_rows(self, tables: Iterable[tuple[str, Rows]]) -> dict[str, int]:
        """Insert the rows of each table in one transaction; returns rows per table.

        Raises:
            PermanentError: the target already holds items (``state_not_empty``).
        """


def check_table(table: str) -> str:
    """``table`` if it is one of :data:`TABLES` (table names end up in SQL text)."""
    if table not in TABLES:
        raise PermanentError(f"cannot copy table {table!r}", code="state_copy_table")
    return table


def order_by(table: str) -> str:
    """The key columns of a copied table, for ``ORDER BY`` (fixed names only)."""
    return ORDER.get(check_table(table), "practice_id, source")


def parse_timestamp(column: str, value: Any) -> Any:
    """SQLite's ISO text → aware datetime for timestamp columns; anything else unchanged."""
    if column in TIMESTAMP_COLUMNS and isinstance(value, str) and value:
        return dt.datetime.fromisoformat(value)
    return value


def copy_state(source: Copyable, target: Copyable) -> dict[str, int]:
    """Copy every table of :data:`TABLES` from ``source`` into the empty ``target``."""
    return target.import_rows((table, source.export_rows(table)) for table in TABLES)
