"""Fresh copies of the emulated Dentrix and Eaglesoft databases (seeded once per session).

Creating and seeding goes through the real SQLite ODBC driver; each test then gets a file copy,
so tests never see each other's writes.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyodbc

from workshop.emulated.dentrix import seed as dentrix_seed
from workshop.emulated.eaglesoft import seed as eaglesoft_seed

TODAY = dt.date(2026, 11, 20)  # the seeds' "today": every seeded date is relative to it
_TEMPLATES: dict[tuple[str, str], Path] = {}

_SEEDS: dict[str, tuple[Callable[..., str], Callable[[Path], str]]] = {
    "dentrix": (dentrix_seed.create_emulated_database, dentrix_seed.connection_string),
    "eaglesoft": (eaglesoft_seed.create_emulated_database, eaglesoft_seed.connection_string),
}


def fresh_database(vendor: str, request: Any) -> str:
    """Connection string of a new copy of ``vendor``'s seeded emulated database.

    ``request`` is pytest's; the template lives in the session's base temp directory and the
    copy in the test's own ``tmp_path``.
    """
    create, conn_str = _SEEDS[vendor]
    factory = request.getfixturevalue("tmp_path_factory")
    key = (vendor, str(factory.getbasetemp()))
    if key not in _TEMPLATES:
        folder = factory.mktemp(f"{vendor}-template")
        create(folder, today=TODAY)
        _TEMPLATES[key] = folder
    target = Path(request.getfixturevalue("tmp_path")) / vendor
    shutil.copytree(_TEMPLATES[key], target)
    return conn_str(target)


def query(
    conn_str: str, sql: str, *params: Any, attach_admin: bool = False
) -> list[dict[str, Any]]:
    """Rows as dicts from a direct connection (autocommit; no locks left behind)."""
    conn = pyodbc.connect(conn_str, autocommit=True)
    try:
        cur = conn.cursor()
        if attach_admin:
            main = conn_str.split("Database=")[1].split(";", maxsplit=1)[0]
            cur.execute("ATTACH DATABASE ? AS admin", str(Path(main).with_name("admin.db")))
        cur.execute(sql, *params)
        names = [c[0].lower() for c in cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()] if names else []
    finally:
        conn.close()
