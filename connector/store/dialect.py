"""What differs between the store's engines, and nothing else.

:class:`~connector.store.sql.SqlStore` holds every query and rule once, written with ``?``
placeholders. A :class:`Dialect` supplies what an engine does its own way: connections and
transactions, placeholders, how a timestamp is passed, row locking, batch inserts, schema
migration, leases (SQLite by the injected clock, PostgreSQL by the server's clock) and copying.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from connector.store import copy
from connector.store.rows import RowLike


class Result(Protocol):
    """The rows one statement returned."""

    def fetchone(self) -> Any:
        """The next row (readable by column name), or None."""

    def fetchall(self) -> list[Any]:
        """Every remaining row."""


class Session(Protocol):
    """One transaction (or an autocommit read) on the engine."""

    def run(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Execute one statement written with ``?`` placeholders."""

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute one statement for every parameter row (batched where the engine can)."""

    def insert_ids(self, sql: str, rows: Sequence[Sequence[Any]]) -> list[int | None]:
        """Run ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` per row: the new id, or None
        where the row conflicted (already stored, or repeated earlier in ``rows``)."""

    @property
    def native(self) -> Any:
        """The engine's own connection or cursor (for the engine's lease module)."""


class Dialect(Protocol):
    """An engine under :class:`~connector.store.sql.SqlStore`."""

    name: str
    for_update: str
    """Appended to a SELECT of rows about to change (``" FOR UPDATE"``, or ``""`` where the
    transaction already holds the write lock)."""

    def transaction(self) -> AbstractContextManager[Session]:
        """A write transaction: committed on success, rolled back on any error."""

    def reading(self) -> AbstractContextManager[Session]:
        """A session for reads."""

    def ts(self, value: dt.datetime) -> Any:
        """A timestamp as this engine stores it."""

    def migrate(self) -> int:
        """Apply missing migrations (one process at a time); return the schema version."""

    def close(self) -> None:
        """Release connections."""

    # -- leases (each engine keeps time its own way: see the lease modules) --------------
    def claim(
        self,
        session: Session,
        owner: str,
        practice_ids: Sequence[str],
        ttl: dt.timedelta,
        limit: int | None,
        now: dt.datetime,
    ) -> list[str]:
        """Claim free or expired practices up to the fair share; return all held."""

    def renew(self, session: Session, owner: str, ttl: dt.timedelta, now: dt.datetime) -> list[str]:
        """Extend the owner's unexpired leases; return those still held."""

    def release(
        self, session: Session, owner: str, practice_ids: Collection[str] | None
    ) -> list[str]:
        """Free the owner's leases; return those released."""

    def holders(self, session: Session, now: dt.datetime) -> dict[str, list[str]]:
        """Live instances and the practices each holds."""

    # -- copying (``connector state copy``) ----------------------------------------------
    def export_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of ``table`` in key order, timestamps as aware datetimes."""

    def import_rows(self, tables: Iterable[tuple[str, copy.Rows]]) -> dict[str, int]:
        """Insert every table's rows in one transaction into an empty store."""


__all__ = ["Dialect", "Result", "RowLike", "Session"]
