"""PostgreSQL state store, for several instances sharing one database (see docs/scale.md).

Only what PostgreSQL does its own way lives here (:class:`PostgresDialect`): a psycopg
connection pool, ``%s`` placeholders, ``TIMESTAMPTZ`` values, ``SELECT … FOR UPDATE`` row
locks, pipelined batch inserts, migrations under an advisory lock, leases by the server's
clock and server-side cursors for copying. Every query and rule is in
:class:`~connector.store.sql.SqlStore`. psycopg errors become our error tree in exactly one
place (:func:`connector.store.postgres_errors.translate`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from psycopg import Connection, Cursor, sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from connector.clock import SYSTEM, Clock
from connector.errors import PermanentError
from connector.store import copy, postgres_leases
from connector.store.dialect import Session
from connector.store.postgres_errors import translate
from connector.store.schema import load_migrations
from connector.store.sql import SqlStore

Row = dict[str, Any]
Cur = Cursor[Row]

_MIGRATION_LOCK = 0x636F6E6E  # pg_advisory_xact_lock key: one migrating instance at a time


@lru_cache(maxsize=512)
def _pg(query: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (the store's SQL has no literal ``?`` or ``%``)."""
    return query.replace("?", "%s")


class _Session:
    """A :class:`~connector.store.dialect.Session` on one psycopg cursor."""

    def __init__(self, cur: Cur) -> None:
        self._cur = cur

    @property
    def native(self) -> Cur:
        return self._cur

    def run(self, query: str, params: Sequence[Any] = ()) -> Cur:
        return self._cur.execute(_pg(query), params)

    def run_many(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cur.executemany(_pg(query), rows)  # pipelined: a few round trips per batch

    def insert_ids(self, query: str, rows: Sequence[Sequence[Any]]) -> list[int | None]:
        ids: list[int | None] = [None] * len(rows)
        self._cur.executemany(_pg(query), rows, returning=True)
        for position in range(len(rows)):
            row = self._cur.fetchone()
            if row is not None:
                ids[position] = int(row["id"])
            if not self._cur.nextset():
                break
        return ids


class PostgresDialect:
    """PostgreSQL's side of the store.

    Args:
        url: ``postgresql://user[:password]@host[:port]/database[?sslmode=…]`` (libpq URI;
            ``passfile=`` and ``PGPASSWORD`` work as usual).
        max_connections: pool size; one per scheduler worker thread is plenty.
        timeout: seconds to wait for a connection before a :class:`TransientError`.
    """

    name = "postgres"
    for_update = " FOR UPDATE"

    def __init__(self, url: str, *, max_connections: int = 10, timeout: float = 30.0) -> None:
        self._pool: ConnectionPool[Connection[Row]] = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": 10},
            check=ConnectionPool.check_connection,
            timeout=timeout,
            name="connector-state",
            open=False,
        )
        with translate():
            self._pool.open(wait=False)

    @contextmanager
    def transaction(self) -> Iterator[_Session]:
        """One transaction: committed on success, rolled back on any error."""
        with translate(), self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield _Session(cur)

    @contextmanager
    def reading(self) -> Iterator[_Session]:
        """Reads (autocommit)."""
        with translate(), self._pool.connection() as conn, conn.cursor() as cur:
            yield _Session(cur)

    def ts(self, value: dt.datetime) -> dt.datetime:
        """Aware datetimes go to ``TIMESTAMPTZ`` as they are."""
        return value

    def close(self) -> None:
        """Close the pool and its connections."""
        self._pool.close()

    def migrate(self) -> int:
        """Apply missing migrations in order, each in its own transaction under an advisory lock."""
        for version, script in load_migrations("postgres"):
            with self.transaction() as tx:
                cur = tx.native
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                if version <= self._version(cur):
                    continue
                cur.execute(script.encode())  # no parameters: several statements are allowed
                cur.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
        with self.reading() as db:
            return self._version(db.native)

    @staticmethod
    def _version(cur: Cur) -> int:
        cur.execute("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")
        row = cur.fetchone()
        assert row is not None
        return int(row["v"])

    # -- leases: expiry by the server's clock, so skewed instances agree -------------------
    def claim(
        self,
        session: Session,
        owner: str,
        practice_ids: Sequence[str],
        ttl: dt.timedelta,
        limit: int | None,
        now: dt.datetime,
    ) -> list[str]:
        """See :func:`connector.store.postgres_leases.claim` (``now`` is not used)."""
        return postgres_leases.claim(session.native, owner, practice_ids, ttl, limit)

    def renew(self, session: Session, owner: str, ttl: dt.timedelta, now: dt.datetime) -> list[str]:
        """See :func:`connector.store.postgres_leases.renew` (``now`` is not used)."""
        return postgres_leases.renew(session.native, owner, ttl)

    def release(
        self, session: Session, owner: str, practice_ids: Collection[str] | None
    ) -> list[str]:
        """See :func:`connector.store.postgres_leases.release`."""
        return postgres_leases.release(session.native, owner, practice_ids)

    def holders(self, session: Session, now: dt.datetime) -> dict[str, list[str]]:
        """See :func:`connector.store.postgres_leases.holders` (``now`` is not used)."""
        return postgres_leases.holders(session.native)

    # -- copying --------------------------------------------------------------------------
    def export_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of ``table`` in key order (a server-side cursor: memory stays flat)."""
        order = copy.order_by(table)
        query = sql.SQL("SELECT * FROM {} ORDER BY {}").format(
            sql.Identifier(copy.check_table(table)), sql.SQL(order)
        )
        with (
            translate(),
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(name=f"export_{table}") as cur,
        ):
            cur.execute(query)
            for row in cur:
                yield {k: v.astimezone(dt.UTC) if isinstance(v, dt.datetime) else v
                       for k, v in row.items()}  # fmt: skip

    def import_rows(self, tables: Iterable[tuple[str, copy.Rows]]) -> dict[str, int]:
        """Insert every table's rows in one transaction; the store must hold no items."""
        counts: dict[str, int] = {}
        with self.transaction() as tx:
            cur = tx.native
            cur.execute("SELECT EXISTS (SELECT 1 FROM items) AS busy")
            busy = cur.fetchone()
            if busy is not None and busy["busy"]:
                raise PermanentError("the target store is not empty", code="state_not_empty")
            for table, rows in tables:
                counts[table] = 0
                for row in rows:
                    cur.execute(
                        sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                            sql.Identifier(copy.check_table(table)),
                            sql.SQL(", ").join(map(sql.Identifier, row)),
                            sql.SQL(", ").join(sql.Placeholder() * len(row)),
                        ),
                        list(row.values()),
                    )
                    counts[table] += 1
            for table in copy.IDENTITY_TABLES:  # identities continue after the ids
                cur.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence({t}, 'id'),"
                        " COALESCE((SELECT MAX(id) FROM {i}), 0) + 1, false)"
                    ).format(t=sql.Literal(table), i=sql.Identifier(table))
                )
        return counts


class PostgresStore(SqlStore):
    """The state store on a PostgreSQL database (arguments as :class:`PostgresDialect`).

    ``clock`` stamps items, reviews, history and polls; leases keep the server's ``now()`` on
    purpose (see :mod:`connector.store.postgres_leases`).
    """

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 10,
        timeout: float = 30.0,
        clock: Clock = SYSTEM,
    ) -> None:
        dialect = PostgresDialect(url, max_connections=max_connections, timeout=timeout)
        super().__init__(dialect, clock=clock)
