"""Row mapping for the PostgreSQL store: database rows → domain objects, times in UTC."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connector import jsonutil
from connector.domain import Item, ItemKind, ItemStatus
from connector.money import from_cents
from connector.store.base import Review

Row = dict[str, Any]


def utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC."""
    return value.astimezone(dt.UTC)


def utc_or_none(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` in UTC, or None."""
    return value.astimezone(dt.UTC) if value is not None else None


def utc_row(row: Row) -> Row:
    """The row with every datetime in UTC."""
    return {k: utc(v) if isinstance(v, dt.datetime) else v for k, v in row.items()}


def iso(value: dt.datetime) -> str:
    """ISO-8601 text in UTC (as SQLite stores it; used in history details)."""
    return value.astimezone(dt.UTC).isoformat()


def item(row: Row) -> Item:
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
        next_attempt_at=utc_or_none(row["next_attempt_at"]),
        last_error_code=row["last_error_code"],
        pms_ids=jsonutil.loads(row["pms_ids"]),
        progress=jsonutil.loads(row["progress"]),
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
    )


def review(row: Row) -> Review:
    """A review row joined with its item as a :class:`~connector.store.base.Review`."""
    return Review(
        id=row["id"],
        item_id=row["item_id"],
        practice_id=row["practice_id"],
        reason=row["reason"],
        message=row["message"],
        details=jsonutil.loads(row["details"]),
        state=row["state"],
        created_at=utc(row["created_at"]),
        closed_at=utc_or_none(row["closed_at"]),
        resolution_note=row["resolution_note"],
        item_key=row["item_key"],
        item_kind=row["item_kind"],
        amount=str(from_cents(row["amount_cents"])),
    )
