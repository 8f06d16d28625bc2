"""Store rows → domain records, shared by the SQLite and PostgreSQL stores.

The two engines differ only in how a timestamp comes back: SQLite returns the ISO text we
stored, PostgreSQL an aware ``datetime``. :func:`when` accepts both, so one mapping per record
serves both stores.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from connector import jsonutil
from connector.domain import Item, ItemKind, ItemStatus
from connector.money import from_cents
from connector.store.base import Review


class RowLike(Protocol):
    """A database row readable by column name (``sqlite3.Row`` or a psycopg dict row)."""

    def __getitem__(self, key: str) -> Any:
        """The value of one column."""


def when(value: str | dt.datetime) -> dt.datetime:
    """A stored timestamp (ISO text or a datetime) as an aware UTC datetime."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(dt.UTC)


def when_or_none(value: str | dt.datetime | None) -> dt.datetime | None:
    """:func:`when`, or None for an empty column."""
    return when(value) if value else None


def item_from_row(row: RowLike) -> Item:
    """An ``items`` row as an :class:`~connector.domain.Item`."""
    return Item(
        id=row["id"],
        practice_id=row["practice_id"],
        source=row["source"],
        key=row["key"],
        kind=ItemKind(row["kind"]),
        status=ItemStatus(row["status"]),
        payload=jsonutil.loads(row["payload"]),
        amount=from_cents(row["amount_cents"]),
        group_key=row["group_key"],
        related_key=row["related_key"],
        attempts=row["attempts"],
        next_attempt_at=when_or_none(row["next_attempt_at"]),
        last_error_code=row["last_error_code"],
        last_error=row["last_error"],
        pms_ids=jsonutil.loads(row["pms_ids"]),
        progress=jsonutil.loads(row["progress"]),
        created_at=when(row["created_at"]),
        updated_at=when(row["updated_at"]),
    )


def review_from_row(row: RowLike) -> Review:
    """A review row joined with its item as a :class:`~connector.store.base.Review`."""
    return Review(
        id=row["id"],
        item_id=row["item_id"],
        practice_id=row["practice_id"],
        reason=row["reason"],
        message=row["message"],
        details=jsonutil.loads(row["details"]),
        state=row["state"],
        created_at=when(row["created_at"]),
        closed_at=when_or_none(row["closed_at"]),
        resolution_note=row["resolution_note"],
        item_key=row["item_key"],
        item_kind=row["item_kind"],
        amount=str(from_cents(row["amount_cents"])),
    )
