"""The state store, once for every engine: items, cursors, reviews, history, polls, leases.

Every query and rule is written once with ``?`` placeholders, split by role: ``sql_items``
(recording and reading items), ``sql_posting`` (the posting queue's status changes),
``sql_reviews`` (the review queue), ``sql_polls`` (poll log, status counts, leases) and
``console_tables`` (the staff console), over what they share in ``sql_core``. The engine's
:class:`~connector.store.dialect.Dialect` supplies transactions, placeholders, timestamps, row
locks, batch inserts, migrations, leases and copying. Every time the store writes comes from
the injected clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from connector.clock import SYSTEM, Clock
from connector.store import copy
from connector.store.console_tables import ConsoleTables
from connector.store.dialect import Dialect
from connector.store.sql_items import ItemTables
from connector.store.sql_polls import PollTables
from connector.store.sql_posting import PostingTables
from connector.store.sql_reviews import ReviewTables


class SqlStore(ItemTables, PostingTables, ReviewTables, PollTables, ConsoleTables):
    """:class:`~connector.store.base.StateStore` on a SQL engine.

    Args:
        dialect: the engine (SQLite or PostgreSQL).
        clock: where every timestamp the store writes comes from.
    """

    def __init__(self, dialect: Dialect, *, clock: Clock = SYSTEM) -> None:
        self.dialect = dialect
        self.clock = clock

    def migrate(self) -> int:
        """Bring the schema to the newest version; return that version."""
        return self.dialect.migrate()

    def close(self) -> None:
        """Release connections."""
        self.dialect.close()

    # -- copying (``connector state copy``) -------------------------------------------------
    def export_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of ``table`` in key order, timestamps as aware datetimes."""
        return self.dialect.export_rows(table)

    def import_rows(self, tables: Iterable[tuple[str, copy.Rows]]) -> dict[str, int]:
        """Insert every table's rows in one transaction; the store must hold no items."""
        return self.dialect.import_rows(tables)
