"""Both engines' migrations build the same schema: tables, columns, keys, indexes, triggers."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from connector.store import open_store
from connector.store.schema import load_migrations

pytestmark = pytest.mark.external_service

# SQLite keeps timestamps as ISO-8601 text; PostgreSQL as timestamptz. Everything else maps 1:1.
_SQLITE_FAMILY = {"INTEGER": "integer", "TEXT": "text"}
_PG_FAMILY = {"bigint": "integer", "integer": "integer", "text": "text",
              "timestamp with time zone": "timestamp"}  # fmt: skip


def _sqlite_schema(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]  # fmt: skip
        columns, keys = {}, {}
        for table in tables:
            info = conn.execute(f"PRAGMA table_info({table})").fetchall()
            columns[table] = [(r[1], _SQLITE_FAMILY[r[2]], bool(r[3] or r[5])) for r in info]
            keys[table] = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
        indexes = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'"
            " AND name NOT LIKE 'sqlite_autoindex%'")}  # fmt: skip
        triggers = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")}  # fmt: skip
    finally:
        conn.close()
    return {"tables": tables, "columns": columns, "keys": keys, "indexes": indexes,
            "triggers": triggers}  # fmt: skip


def _pg_schema(url: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            " ORDER BY table_name")]  # fmt: skip
        columns, keys = {}, {}
        for table in tables:
            rows = conn.execute(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
                " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
                (table,),
            ).fetchall()
            keys[table] = [r[0] for r in conn.execute(
                "SELECT k.column_name FROM information_schema.table_constraints c"
                " JOIN information_schema.key_column_usage k USING (constraint_name, table_name)"
                " WHERE c.table_name = %s AND c.constraint_type = 'PRIMARY KEY'"
                " ORDER BY k.ordinal_position", (table,))]  # fmt: skip
            columns[table] = [
                (name, _PG_FAMILY[kind], nullable == "NO" or name in keys[table])
                for name, kind, nullable in rows
            ]
        indexes = {r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
            " AND indexname NOT LIKE '%%_pkey' AND indexname NOT LIKE '%%_key'")}  # fmt: skip
        triggers = {r[0] for r in conn.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}  # fmt: skip
    return {"tables": tables, "columns": columns, "keys": keys, "indexes": indexes,
            "triggers": triggers}  # fmt: skip


def test_both_dialects_ship_the_same_migration_versions() -> None:
    """Every migration version exists for SQLite and for PostgreSQL."""
    sqlite_versions = [v for v, _ in load_migrations("sqlite")]
    assert sqlite_versions == [v for v, _ in load_migrations("postgres")]
    assert sqlite_versions == list(range(1, len(sqlite_versions) + 1))


def test_migrated_schemas_match(tmp_path: Path, postgres_server: Any) -> None:
    """After migrating, both engines have the same tables, columns, keys and indexes."""
    open_store(f"sqlite:///{tmp_path / 'state.db'}").close()
    url = postgres_server.new_database()
    open_store(url).close()
    lite, pg = _sqlite_schema(tmp_path / "state.db"), _pg_schema(url)
    assert lite["tables"] == pg["tables"]
    assert "schema_version" in lite["tables"] and "practice_leases" in lite["tables"]
    assert lite["keys"] == pg["keys"]
    assert lite["indexes"] == pg["indexes"]
    for table in lite["tables"]:
        for (name, lite_type, lite_notnull), (pg_name, pg_type, pg_notnull) in zip(
            lite["columns"][table], pg["columns"][table], strict=True
        ):
            assert (table, name, lite_notnull) == (table, pg_name, pg_notnull)
            if pg_type == "timestamp":  # the only intended difference
                assert lite_type == "text" and (name == "at" or name.endswith("_at")), name
            else:
                assert lite_type == pg_type, (table, name)
    # PostgreSQL additionally refuses TRUNCATE (SQLite has none).
    assert pg["triggers"] - lite["triggers"] == {"history_no_truncate"}
    assert lite["triggers"] <= pg["triggers"]
