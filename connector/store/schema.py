"""Versioned migrations shipped with the package, one folder per SQL dialect.

``migrations/sqlite/NNNN_name.sql`` and ``migrations/postgres/NNNN_name.sql`` hold the same
version numbers with the same tables, columns, keys and indexes (a test compares the migrated
schemas); only types and trigger syntax differ. Each store applies the versions it has not
applied yet, in order, one transaction per version, and records them in ``schema_version``.
"""

from __future__ import annotations

from importlib import resources
from typing import Literal

Dialect = Literal["sqlite", "postgres"]


def load_migrations(dialect: Dialect) -> list[tuple[int, str]]:
    """``(version, sql)`` for every migration of ``dialect``, in version order."""
    folder = resources.files("connector.store") / "migrations" / dialect
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)
