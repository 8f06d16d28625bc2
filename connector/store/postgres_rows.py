"""PostgreSQL row helpers: times in UTC (records are mapped by :mod:`connector.store.rows`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
