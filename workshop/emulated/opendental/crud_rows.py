"""Complete rows the way Open Dental's CRUD layer writes them (for the emulated database only).

Open Dental's generated CRUD (``OpenDentBusiness/Crud/*Crud.cs``, e.g. ``PaymentCrud.Insert``)
names *every* column in its INSERT except the auto-increment key (unless random keys are on) and
``timestamp`` columns ("SecDateTEdit can only be set by MySQL"). A field the calling code did not
set goes in with its C# default: 0 for numbers, enums and keys, ``''`` for strings,
``0001-01-01`` for dates (``DateTime.MinValue``). A few objects start from other values: a
claimproc made by ``ClaimProcs.CreateEst`` has -1 ("blank") in its override and estimate columns.

Many columns of the 24.3 schema are ``NOT NULL`` without a default (Open Dental's upgrade scripts
add them that way, e.g. ``ALTER TABLE payment ADD MerchantFee double NOT NULL`` in
``ConvertDatabases7.cs``), so under ``STRICT_TRANS_TABLES`` an insert that leaves one out fails.
The API double and the seed build every row through :func:`crud_row`; the test schema keeps no
defaults on the tables the double writes so any column left out fails loudly.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

EMPTY_DATE = dt.date(1, 1, 1)
EMPTY_DATETIME = dt.datetime(1, 1, 1)  # noqa: DTZ001 - Open Dental stores naive local times

# Fields whose object starts from something else than the C# default (source: ClaimProcs.CreateEst
# sets these to -1 = blank; Procedure defaults UnitQty to 1; InsSub ReleaseInfo/AssignBen true).
OBJECT_DEFAULTS: dict[str, dict[str, Any]] = {
    "claimproc": {
        name: Decimal(-1)
        for name in (
            "AllowedOverride", "CopayAmt", "PaidOtherIns", "DedEst", "DedEstOverride",
            "InsEstTotalOverride", "CopayOverride", "PaidOtherInsOverride", "WriteOffEst",
            "WriteOffEstOverride",
        )
    }
    | {"Percentage": -1, "PercentOverride": -1},
    "procedurelog": {"UnitQty": 1},
    "inssub": {"ReleaseInfo": 1, "AssignBen": 1},
    "patplan": {"OrthoAutoFeeBilledOverride": Decimal(-1)},
}  # fmt: skip

_COLUMN = re.compile(r"^\s+(\w+) ([a-z]+)(?:\([\d,]+\))?( unsigned)? NOT NULL(.*?),?$")


@cache
def schema_columns() -> dict[str, tuple[tuple[str, str, bool], ...]]:
    """``{table: ((column, base type, auto-filled), …)}`` from ``schema.sql``, in order.

    Auto-filled columns (AUTO_INCREMENT keys and ``timestamp`` columns) are left to the server.
    """
    text = Path(__file__).with_name("schema.sql").read_text("utf-8")
    tables: dict[str, list[tuple[str, str, bool]]] = {}
    current: list[tuple[str, str, bool]] | None = None
    for line in text.splitlines():
        head = re.match(r"CREATE TABLE (\w+) \(", line)
        if head:
            current = tables.setdefault(head.group(1), [])
            continue
        match = _COLUMN.match(line)
        if match and current is not None:
            name, kind, _unsigned, rest = match.groups()
            auto = "AUTO_INCREMENT" in rest or kind == "timestamp"
            current.append((name, kind, auto))
    return {table: tuple(cols) for table, cols in tables.items()}


def empty_value(table: str, column: str, kind: str) -> Any:
    """The value Open Dental's CRUD writes for a field nobody set."""
    special = OBJECT_DEFAULTS.get(table, {})
    if column in special:
        return special[column]
    if kind in ("date",):
        return EMPTY_DATE
    if kind == "datetime":
        return EMPTY_DATETIME
    if kind in ("varchar", "char", "text", "mediumtext", "longtext"):
        return ""
    return 0


def crud_row(table: str, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` completed with every other column, in the schema's column order.

    Raises:
        KeyError: an unknown table or column (a typo in our own code).
    """
    columns = schema_columns()[table]
    known = {name for name, _kind, _auto in columns}
    unknown = set(values) - known
    if unknown:
        raise KeyError(f"{table} has no column(s) {sorted(unknown)}")
    row: dict[str, Any] = {}
    for name, kind, auto in columns:
        if name in values:
            row[name] = values[name]
        elif not auto:
            row[name] = empty_value(table, name, kind)
    return row


def insert_sql(table: str, columns: list[str] | tuple[str, ...]) -> str:
    """``INSERT INTO table (…) VALUES (?, …)`` for our own table and column names."""
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - names come from schema.sql; values are ? placeholders


def insert_row(cursor: Any, table: str, values: dict[str, Any]) -> int:
    """Insert one complete row (see :func:`crud_row`) and return its new key."""
    row = crud_row(table, values)
    cursor.execute(insert_sql(table, list(row)), *row.values())
    cursor.execute("SELECT LAST_INSERT_ID()")
    return int(cursor.fetchone()[0])
