"""Shared helpers of the Open Dental API double: request parsing, faults, row access."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.opendental.versions import ENDPOINTS, has, parse_version
from connector.money import to_money

EMPTY_DATE = dt.date(1, 1, 1)


def local_now() -> dt.datetime:
    """The server's wall-clock time without zone (Open Dental stores local datetimes)."""
    return dt.datetime.now(dt.UTC).astimezone().replace(tzinfo=None, microsecond=0)


def local_today() -> dt.date:
    """The server's local date."""
    return local_now().date()


def db_now(cur: Any) -> dt.datetime:
    """The database server's ``NOW()``: what Open Dental's CRUD writes in its entry-date columns."""
    cur.execute("SELECT NOW()")
    value = cur.fetchone()[0]
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def office_has(cur: Any, feature: str) -> bool:
    """Whether the office's Open Dental version (pref ``DataBaseVersion``) has ``feature``."""
    return has(parse_version(pref(cur, "DataBaseVersion")), feature)


def require(cur: Any, feature: str) -> None:
    """Answer as an office whose version lacks the endpoint would (unverified: 404)."""
    if not office_has(cur, feature):
        raise ApiFault(404, f"{ENDPOINTS[feature].request} is not available in this version.")


class ApiFault(Exception):
    """An Open Dental-style error answer: HTTP status and a plain-text explanation."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad(message: str) -> ApiFault:
    """A 400 BadRequest with Open Dental's kind of explanation."""
    return ApiFault(400, message)


def money_field(body: dict[str, Any], name: str, *, required: bool = False) -> Decimal | None:
    """An amount given as "12.50" or 12.5 (JSON numbers arrive as Decimal)."""
    if name not in body or body[name] in (None, ""):
        if required:
            raise bad(f"{name} is required.")
        return None
    value = body[name]
    if isinstance(value, bool | float):
        raise bad(f"{name} is invalid.")
    try:
        return to_money(Decimal(str(value)))
    except (InvalidOperation, ValueError) as exc:
        raise bad(f"{name} is invalid.") from exc


def int_field(body: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    """A key given as 12 or "12"."""
    if name not in body or body[name] in (None, ""):
        if required:
            raise bad(f"{name} is required.")
        return None
    value = body[name]
    if isinstance(value, bool):
        raise bad(f"{name} is invalid.")
    try:
        return int(str(value))
    except ValueError as exc:
        raise bad(f"{name} is invalid.") from exc


def bool_field(body: dict[str, Any], name: str) -> bool:
    """Open Dental's "true"/"false" strings (JSON booleans accepted too)."""
    value = body.get(name, "false")
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise bad(f'{name} must be either "true" or "false".')
    return text == "true"


def date_field(body: dict[str, Any], name: str) -> dt.date | None:
    """A ``yyyy-MM-dd`` date."""
    value = body.get(name)
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise bad(f"{name} must be in yyyy-MM-dd format.") from exc


def datetime_field(body: dict[str, Any], name: str) -> dt.datetime | None:
    """A ``yyyy-MM-dd HH:mm:ss`` datetime."""
    value = body.get(name)
    if value in (None, ""):
        return None
    try:
        parsed = dt.datetime.strptime(f"{value} +0000", "%Y-%m-%d %H:%M:%S %z")
        return parsed.replace(tzinfo=None)  # Open Dental's local wall-clock time
    except ValueError as exc:
        raise bad(f"{name} must be in yyyy-MM-dd HH:mm:ss format.") from exc


def text(value: Any) -> str:
    """Dates and amounts as Open Dental's JSON shows them."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def row_dict(cursor: Any, row: Sequence[Any]) -> dict[str, Any]:
    """A pyodbc row as {column: value}."""
    return {col[0]: value for col, value in zip(cursor.description, row, strict=True)}


def pref(cur: Any, name: str, default: str = "") -> str:
    """One preference's ValueString."""
    cur.execute("SELECT ValueString FROM preference WHERE PrefName = ?", name)
    row = cur.fetchone()
    return str(row[0]) if row else default


def definition(cur: Any, def_num: int, category: int) -> dict[str, Any] | None:
    """A definition row of ``category``, or None."""
    cur.execute(
        "SELECT DefNum, ItemName, ItemValue, IsHidden FROM definition "
        "WHERE DefNum = ? AND Category = ?",
        def_num,
        category,
    )
    row = cur.fetchone()
    return row_dict(cur, row) if row else None


PREFERENCES_PAGE = 100


def get_preferences(cur: Any, body: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """``GET /preferences`` (21.1+): the one named by ``PrefName``, else a page from ``Offset``.

    Open Dental answers a list either way (an unknown name gives an empty list).
    """
    columns = "SELECT PrefNum, PrefName, ValueString FROM preference"
    name = body.get("PrefName")
    if name:
        cur.execute(f"{columns} WHERE PrefName = ? ORDER BY PrefNum", str(name))
    else:
        offset = int_field(body, "Offset") or 0
        cur.execute(f"{columns} ORDER BY PrefNum LIMIT ? OFFSET ?", PREFERENCES_PAGE, offset)
    return 200, [row_dict(cur, row) for row in cur.fetchall()]
